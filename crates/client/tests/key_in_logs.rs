//! The API key never shows in the log (`tracing`, every level), in `Debug` output or in an
//! error. A test binary of its own: `tracing` caches per callsite whether any subscriber wants
//! it, and in a binary whose other tests hit the same callsites on other threads with no
//! subscriber, one of them could cache "never" while this test's thread-local subscriber was
//! being installed (it failed that way once under load: no DEBUG events, no span).

use sonoran_cad::{Client, RetryPolicy};
use sonoran_fake::{FakeServer, Fault, FaultKind};
use std::time::Duration;

fn client_for(url: impl Into<String>) -> sonoran_cad::ClientBuilder {
    Client::builder()
        .community_id("YOUR_COMMUNITY_ID")
        .base_url(url)
}

/// A `tracing` writer that keeps everything written, to inspect the log.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_key_never_shows_in_logs_debug_output_or_errors() {
    let secret = "sk-very-secret-9f8e7d";
    let fake = FakeServer::builder().api_key(secret).start().await;
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Callsites reached before (none in this binary) would have cached "never".
    tracing::callsite::rebuild_interest_cache();

    let client = client_for(fake.url())
        .api_key(secret)
        .retry(RetryPolicy {
            max_retries: 1,
            initial_backoff: Duration::ZERO,
            max_wait: Duration::ZERO,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    client.get_version().await.unwrap();
    fake.inject(Fault::on(
        "getVersion",
        FaultKind::RateLimited { retry_after: None },
    ));
    client.get_version().await.unwrap();
    client.v1().get_version_v1().await.unwrap();
    let wrong = client_for(fake.url())
        .api_key(format!("{secret}-wrong"))
        .build()
        .unwrap();
    let err = wrong.get_version().await.unwrap_err();

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("getVersion") && text.contains("429"),
        "the log was captured:\n{text}"
    );
    // Every call runs in its `sonoran.call` span, its events inside it (the README's
    // promise; without a subscriber that wants it the span is left out).
    assert!(
        text.lines()
            .any(|l| l.contains("sonoran.call{operation=\"getVersion\"") && l.contains("reply")),
        "the call's events in its span:\n{text}"
    );
    assert!(!text.contains(secret), "the key is in the log:\n{text}");
    assert!(!format!("{client:?}").contains(secret));
    assert!(!format!("{err:?}").contains(secret) && !err.to_string().contains(secret));
}
