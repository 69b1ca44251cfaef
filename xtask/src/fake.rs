//! `cargo xtask fake [--addr ADDR]`: the fake Sonoran CAD server (crate `sonoran-fake`) in the
//! foreground, for Node and browser tests and for developing a bot offline.

use anyhow::{Context, Result};
use sonoran_fake::FakeServer;

/// Serves the fake API on `addr` (e.g. `127.0.0.1:8787`; port 0 picks a free one) with the
/// default community id and key, until Ctrl-C.
pub fn run(addr: &str) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(async {
        let fake = FakeServer::builder()
            .start_on(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        println!(
            "fake Sonoran CAD server on {} (community {}, key {})",
            fake.url(),
            fake.community_id(),
            fake.api_key()
        );
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        fake.shutdown().await;
        Ok(())
    })
}
