//! Every account of every page of `getAccounts`, as a stream.
//!
//! ```text
//! cargo run -p sonoran-cad --example pages
//! ```
//!
//! It starts the fake Sonoran server (crate `sonoran-fake`) in-process and has it answer three
//! pages of accounts (made from the documented account example), then reads them through
//! `.stream()`: each page is one call, asked for when the previous page's accounts are read,
//! paced to `getAccounts`' documented limit; the stream ends at the reply's `total`.

use sonoran_cad::Client;
use sonoran_fake::{FakeServer, Fault, FaultKind};
use std::num::NonZeroU64;
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fake = FakeServer::start().await;
    // Five accounts, two a page: the fake answers these pages, in order.
    let total = 5;
    for offset in (0..total).step_by(2) {
        let accounts: Vec<_> = (offset..total.min(offset + 2))
            .map(|i| serde_json::json!({"uuid": "00000000-0000-0000-0000-000000000000", "username": format!("user{i}")}))
            .collect();
        let body = serde_json::json!({"pagination": {"limit": 2, "offset": offset, "total": total}, "accounts": accounts});
        fake.inject(Fault::on(
            "getAccounts",
            FaultKind::Json { status: 200, body },
        ));
    }

    let client = Client::builder()
        .base_url(fake.url())
        .api_key(fake.api_key())
        .community_id(fake.community_id())
        .build()?;
    let mut accounts = client
        .get_accounts()
        .limit(NonZeroU64::new(2).expect("not 0"))
        .timeout(Duration::from_secs(10)) // per page
        .stream();
    // `accounts` is a `futures::Stream`; `.next()` reads it without a futures crate.
    while let Some(account) = accounts.next().await {
        let account = account?; // a failed page is the stream's last item
        println!("{}", account.username.unwrap_or_default());
    }
    println!("{} page(s)", accounts.pages_requested());
    Ok(())
}
