//! Tests added for the mutation run of `error.rs` (TESTING.md, "Mutation testing"): each
//! pins a promise of the error model's doc comments that no earlier test checked, so that
//! the mutant breaking it is caught. Kept apart from `error.rs`'s own tests to ease merging.

use super::*;

/// A code table as an API crate generates one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Code {
    InvalidApiKey,
}

impl V1Code for Code {
    fn from_text(body: &str) -> Option<Self> {
        (body == "INVALID API KEY").then_some(Self::InvalidApiKey)
    }
    fn text(self) -> &'static str {
        "INVALID API KEY"
    }
}

type E = Error<Code>;

/// One error of each kind a call can end with, before `with_call`.
fn timeout() -> E {
    Error::Timeout {
        operation: None,
        attempts: 0,
        elapsed: Duration::ZERO,
    }
}

fn rate_limited(request_id: Option<&str>) -> E {
    Error::RateLimited {
        retry_after: Some(Duration::from_secs(7)),
        request_id: request_id.map(str::to_string),
        operation: None,
        attempts: 0,
    }
}

fn pacing_refused() -> E {
    Error::PacingRefused {
        operation: None,
        wait: Duration::from_millis(900),
        bound: Duration::from_millis(200),
    }
}

fn transport(kind: TransportKind) -> E {
    Error::Transport(TransportError::new(
        kind,
        "Connection refused (os error 111)",
    ))
}

fn api(status: u16, body: &str) -> E {
    Error::Api(ApiError::from_body(status, body))
}

fn malformed() -> E {
    Error::MalformedReply {
        status: 200,
        body: "[]".into(),
        reason: "expected an object".into(),
        operation: None,
        attempts: 0,
        request_id: None,
    }
}

/// problem+json is recognised by any one of `title`, `detail`, `traceId` (kills `||` to
/// `&&` in `ApiError::from_body`).
#[test]
fn one_problem_member_is_enough_to_read_a_problem() {
    let t = ApiError::<Code>::from_body(403, r#"{"title":"Forbidden"}"#);
    assert_eq!(
        (
            t.title.as_deref(),
            t.detail.as_deref(),
            t.trace_id.as_deref()
        ),
        (Some("Forbidden"), None, None)
    );
    let d = ApiError::<Code>::from_body(400, r#"{"detail":"bad id"}"#);
    assert_eq!(
        (
            d.title.as_deref(),
            d.detail.as_deref(),
            d.trace_id.as_deref()
        ),
        (None, Some("bad id"), None)
    );
    let r = ApiError::<Code>::from_body(500, r#"{"traceId":"00-f"}"#);
    assert_eq!(
        (
            r.title.as_deref(),
            r.detail.as_deref(),
            r.trace_id.as_deref()
        ),
        (None, None, Some("00-f"))
    );
    // A JSON object with none of them is plain text: the body is the detail.
    let o = ApiError::<Code>::from_body(500, r#"{"error":"x"}"#);
    assert_eq!(o.title, None);
    assert_eq!(o.detail.as_deref(), Some(r#"{"error":"x"}"#));
    // An empty body has no detail.
    assert_eq!(ApiError::<Code>::from_body(502, "  ").detail, None);
}

/// Bodies are clipped at 2 KiB exactly, on a char boundary, marked `…` (kills the
/// mutants of `clip`'s bound and boundary walk).
#[test]
fn clipping_keeps_2048_bytes_and_cuts_on_a_char_boundary() {
    let exact = "x".repeat(2048);
    assert_eq!(clip(&exact), exact, "2048 bytes are kept whole");
    let over = "x".repeat(2049);
    assert_eq!(clip(&over), format!("{}…", "x".repeat(2048)));
    // 'a' then 1024 two-byte chars: byte 2048 falls inside a char, so the cut is at 2047.
    let wide = format!("a{}", "é".repeat(1024));
    assert_eq!(wide.len(), 2049);
    assert_eq!(clip(&wide), format!("a{}…", "é".repeat(1023)));
}

/// `Retry-After: 0` is a wait of zero, not an invalid value (kills `<` to `<=`).
#[test]
fn a_retry_after_of_zero_is_no_wait() {
    let now = std::time::SystemTime::UNIX_EPOCH;
    assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
    assert_eq!(parse_retry_after("-0.5", now), None);
}

/// `status`, `is_not_found`, `v1_code` and `retry_after` for every kind.
#[test]
fn status_not_found_v1_code_and_retry_after_per_kind() {
    assert_eq!(api(404, "Not found").status(), Some(404));
    assert!(api(404, "Not found").is_not_found());
    assert!(!api(400, "Not found").is_not_found());
    assert!(!rate_limited(None).is_not_found());
    assert_eq!(rate_limited(None).status(), Some(429));
    assert_eq!(malformed().status(), Some(200));
    assert_eq!(timeout().status(), None);
    assert_eq!(transport(TransportKind::Connect).status(), None);

    assert_eq!(
        api(400, "INVALID API KEY").v1_code(),
        Some(Code::InvalidApiKey)
    );
    assert_eq!(api(400, "other").v1_code(), None);
    assert_eq!(rate_limited(None).v1_code(), None);

    assert_eq!(
        rate_limited(None).retry_after(),
        Some(Duration::from_secs(7))
    );
    assert_eq!(
        pacing_refused().retry_after(),
        Some(Duration::from_millis(900))
    );
    assert_eq!(api(503, "").retry_after(), None);
    assert_eq!(timeout().retry_after(), None);
}

/// `is_retryable` as documented: timeouts, 429s, pacing refusals, transport failures but
/// TLS, and 502-504; not other statuses, invalid requests or malformed replies.
#[test]
fn what_is_retryable() {
    let yes = [
        timeout(),
        rate_limited(None),
        pacing_refused(),
        transport(TransportKind::Connect),
        transport(TransportKind::Reset),
        api(502, ""),
        api(503, ""),
        api(504, ""),
    ];
    for e in &yes {
        assert!(e.is_retryable(), "{e:?}");
    }
    let no = [
        transport(TransportKind::Tls),
        api(500, ""),
        api(501, ""),
        api(505, ""),
        api(404, ""),
        Error::InvalidRequest("bad".into()),
        malformed(),
        Error::ReplyTooLarge {
            limit: 1,
            operation: None,
            attempts: 0,
        },
    ];
    for e in &no {
        assert!(!e.is_retryable(), "{e:?}");
    }
}

/// `with_call` records the operation, attempts and request id on every kind that has
/// them, and `operation`, `attempts`, `request_id` read them back.
#[test]
fn with_call_is_read_back_per_kind() {
    let elapsed = Duration::from_millis(1500);
    let call = |e: E| e.with_call("getCalls", 3, elapsed, Some("req-9".into()));

    let t = call(timeout());
    assert_eq!((t.operation(), t.attempts()), (Some("getCalls"), Some(3)));
    assert!(matches!(t, Error::Timeout { elapsed: e, .. } if e == elapsed));
    assert_eq!(t.request_id(), None);

    let r = call(rate_limited(None));
    assert_eq!(
        (r.operation(), r.attempts(), r.request_id()),
        (Some("getCalls"), Some(3), Some("req-9"))
    );
    // The 429 body's own request id wins over the header's.
    let body_id = call(rate_limited(Some("body-1")));
    assert_eq!(body_id.request_id(), Some("body-1"));

    let p = call(pacing_refused());
    assert_eq!(
        (p.operation(), p.attempts(), p.request_id()),
        (Some("getCalls"), Some(0), None)
    );

    let a = call(api(500, r#"{"title":"x","traceId":"trace-2"}"#));
    assert_eq!(
        (a.operation(), a.attempts(), a.request_id()),
        (Some("getCalls"), Some(3), Some("req-9"))
    );
    // Without a request-id header, problem+json's traceId is the id.
    let traced =
        api(500, r#"{"title":"x","traceId":"trace-2"}"#).with_call("getCalls", 1, elapsed, None);
    assert_eq!(traced.request_id(), Some("trace-2"));
    // Before with_call an API error knows no call.
    let bare = api(500, "");
    assert_eq!((bare.operation(), bare.attempts()), (None, Some(0)));

    let tr = call(transport(TransportKind::Reset));
    assert_eq!(
        (tr.operation(), tr.attempts(), tr.request_id()),
        (Some("getCalls"), Some(3), None)
    );

    // A reply that could not be read, or was too large, knows its call too.
    let m = call(malformed());
    assert_eq!(
        (m.operation(), m.attempts(), m.request_id()),
        (Some("getCalls"), Some(3), Some("req-9"))
    );
    let big = call(Error::ReplyTooLarge {
        limit: 1,
        operation: None,
        attempts: 0,
    });
    assert_eq!(
        (big.operation(), big.attempts()),
        (Some("getCalls"), Some(3))
    );

    let i = call(Error::InvalidRequest("bad".into()));
    assert_eq!(
        (i.operation(), i.attempts(), i.request_id()),
        (None, None, None)
    );
}

/// The transport error's text names what failed and why, and is the error's `source`.
#[test]
fn a_transport_error_says_what_failed_and_is_the_source() {
    let e = transport(TransportKind::Connect);
    assert_eq!(
        e.to_string(),
        "the connection to the Sonoran API failed: could not connect: Connection refused (os error 111)"
    );
    let source = std::error::Error::source(&e).expect("the transport error is the source");
    assert_eq!(
        source.to_string(),
        "could not connect: Connection refused (os error 111)"
    );
    assert_eq!(
        TransportError::new(TransportKind::Dns, "").to_string(),
        "the host name did not resolve"
    );
    assert!(std::error::Error::source(&api(500, "")).is_none());
}

/// reqwest's own errors, from loopback sockets, as the runtime classifies them (kills
/// `is_connect`, `innermost` and `chain_text` returning constants, and `||` to `&&` in the
/// reset test of `Error::from_reqwest`).
#[cfg(all(feature = "http", not(target_arch = "wasm32")))]
mod from_reqwest {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    async fn get(url: String) -> E {
        let e = reqwest::Client::new()
            .get(url)
            .send()
            .await
            .expect_err("the request fails");
        Error::from_reqwest(e)
    }

    #[tokio::test]
    async fn a_refused_connection_is_connect_with_the_os_reason() {
        // A port that was free a moment ago: nothing listens on it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let e = get(format!("http://127.0.0.1:{port}/")).await;
        let Error::Transport(t) = &e else {
            panic!("expected a transport error: {e:?}")
        };
        assert_eq!(t.kind, TransportKind::Connect, "{t:?}");
        // The innermost error of the chain: the operating system's words.
        assert!(t.reason.starts_with("Connection refused"), "{}", t.reason);
        assert!(std::error::Error::source(t).is_some());
    }

    #[tokio::test]
    async fn a_connection_closed_before_the_reply_is_a_reset() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            // Closed without a word.
        });
        let e = get(format!("http://{addr}/")).await;
        server.await.expect("the server task");
        let Error::Transport(t) = &e else {
            panic!("expected a transport error: {e:?}")
        };
        assert_eq!(t.kind, TransportKind::Reset, "{t:?}");
        assert!(e.is_retryable());
    }

    #[tokio::test]
    async fn a_reply_that_is_not_http_is_other_not_connect() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let _ = tokio::io::AsyncWriteExt::write_all(&mut socket, b"HELLO THERE\r\n\r\n").await;
        });
        let e = get(format!("http://{addr}/")).await;
        server.await.expect("the server task");
        let Error::Transport(t) = &e else {
            panic!("expected a transport error: {e:?}")
        };
        // A connection was made: not Connect (nor Reset, nor Body).
        assert_eq!(t.kind, TransportKind::Other, "{t:?}");
    }
}

/// The shared rate limiter not answering (feature `redis`) is retryable, as `is_retryable`
/// documents: the store may answer again (kills deleting its arm, which the redis-only
/// mutation run left).
#[cfg(feature = "redis")]
#[test]
fn a_shared_limiter_outage_is_retryable() {
    let e: E = Error::SharedLimiterUnavailable {
        reason: "connection refused".into(),
    };
    assert!(e.is_retryable(), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::SharedLimiterUnavailable);
}
