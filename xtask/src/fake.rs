//! `cargo xtask fake [--addr ADDR]`: the fake Sonoran CAD server (crate `sonoran-fake`) in the
//! foreground, for Node and browser tests and for developing a bot offline.

use anyhow::{Context, Result};
use sonoran_fake::FakeServer;
use std::io::Write;

/// Serves the fake API on `addr` (e.g. `127.0.0.1:8787`; port 0 picks a free one) with the
/// default community id and key, until Ctrl-C.
///
/// The first line on stdout is `fake Sonoran CAD server on http://ADDR (...)` with the
/// address actually bound, flushed at once: a Node test that spawns this with port 0 reads
/// that line to learn the port. The HTTP control API is under `http://ADDR/__fake/`.
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
        let mut stdout = std::io::stdout().lock();
        writeln!(
            stdout,
            "fake Sonoran CAD server on {} (community {}, key {}; control API under /__fake/)",
            fake.url(),
            fake.community_id(),
            fake.api_key()
        )
        .and_then(|()| stdout.flush())
        .context("writing to stdout")?;
        drop(stdout);
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        fake.shutdown().await;
        Ok(())
    })
}
