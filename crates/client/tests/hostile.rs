//! The client against a server that misbehaves on the wire: every fault pinned to one error
//! kind, request counts checked, nothing panics. Waits (retry-after, backoff, pacing) are
//! measured on the runtime's virtual clock (`VirtualClock`: each wait moves it on by exactly
//! that wait, requests take none) and asserted exactly; no test reads the wall clock.

use sonoran_cad::RetryPolicy;
use sonoran_cad::runtime::VirtualClock;
use sonoran_cad::{Client, Error, RateLimitPolicy, TransportKind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One scripted answer: raw bytes to write, then whether to close the connection at once
/// (`cut`), and a delay between chunks of the body (`drip`).
#[derive(Clone)]
struct Answer {
    head: String,
    body: Vec<u8>,
    cut: bool,
    drip: Option<Duration>,
}

fn answer(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    Answer {
        head,
        body: body.to_vec(),
        cut: false,
        drip: None,
    }
}

fn json(status: u16, body: &str) -> Answer {
    answer(
        status,
        &[("content-type", "application/json")],
        body.as_bytes(),
    )
}

/// A loopback server answering the n-th request with the n-th answer (the last one again
/// after that), counting requests.
struct Script {
    url: String,
    requests: Arc<AtomicUsize>,
}

async fn script(answers: Vec<Answer>) -> Script {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let answers = Arc::new(Mutex::new(answers));
    let count = requests.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve(socket, answers.clone(), count.clone()));
        }
    });
    Script { url, requests }
}

async fn serve(mut socket: TcpStream, answers: Arc<Mutex<Vec<Answer>>>, count: Arc<AtomicUsize>) {
    let mut buf = Vec::new();
    loop {
        // Read one request: the head, then its content-length body.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            let mut chunk = [0u8; 4096];
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..head_end + len);
        let n = count.fetch_add(1, Ordering::SeqCst);
        let a = {
            let list = answers.lock().unwrap();
            list.get(n).or(list.last()).cloned().unwrap()
        };
        if socket.write_all(a.head.as_bytes()).await.is_err() {
            return;
        }
        match a.drip {
            Some(gap) => {
                for b in a.body.chunks(4) {
                    tokio::time::sleep(gap).await;
                    if socket.write_all(b).await.is_err() {
                        return;
                    }
                }
            }
            None => {
                if socket.write_all(&a.body).await.is_err() {
                    return;
                }
            }
        }
        if a.cut {
            return;
        }
    }
}

/// The system time at the virtual clock's 0: a whole second, so that an HTTP date is exact.
const T0: u64 = 1_000_000_000;

fn virtual_clock() -> VirtualClock {
    VirtualClock::install(UNIX_EPOCH + Duration::from_secs(T0))
}

/// `took` on the virtual clock is exactly `ms`.
#[track_caller]
fn assert_took(took: Duration, ms: u64, what: &str) {
    assert_eq!(
        took,
        Duration::from_millis(ms),
        "{what}: virtual time taken"
    );
}

fn exact_retries(max: u32, initial_ms: u64) -> RetryPolicy {
    RetryPolicy {
        max_retries: max,
        initial_backoff: Duration::from_millis(initial_ms),
        jitter: false,
        ..RetryPolicy::default()
    }
}

fn client(url: &str, retry: RetryPolicy) -> Client {
    Client::builder()
        .api_key("k")
        .community_id("c")
        .base_url(url)
        .rate_limit(RateLimitPolicy::off())
        .retry(retry)
        .timeout(Some(Duration::from_secs(5)))
        .build()
        .unwrap()
}

const VERSION: &str = r#"{"version":2,"name":"PLUS"}"#;

#[tokio::test]
async fn retry_after_of_any_value_never_panics_and_a_long_one_fails_at_once() {
    let clock = virtual_clock();
    for value in [
        "1e20",
        "18446744073709551616",
        "inf",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let s = script(vec![answer(429, &[("retry-after", value)], b"")]).await;
        let started = clock.elapsed();
        let e = client(&s.url, exact_retries(2, 10))
            .get_version()
            .await
            .unwrap_err();
        let Error::RateLimited { retry_after, .. } = e else {
            panic!("{value}: {e:?}");
        };
        assert!(
            retry_after.unwrap() > Duration::from_secs(3600),
            "{value}: {retry_after:?}"
        );
        assert_eq!(
            s.requests.load(Ordering::SeqCst),
            1,
            "{value}: not waited for"
        );
        assert_took(clock.elapsed() - started, 0, value);
    }
    // Garbage and negative values: the policy's own backoff (10 ms, jitter off).
    for value in ["soon", "-5", "NaN", ""] {
        let s = script(vec![
            answer(429, &[("retry-after", value)], b""),
            json(200, VERSION),
        ])
        .await;
        let started = clock.elapsed();
        client(&s.url, exact_retries(2, 10))
            .get_version()
            .await
            .unwrap();
        assert_eq!(s.requests.load(Ordering::SeqCst), 2, "{value}");
        assert_took(clock.elapsed() - started, 10, value);
    }
    // A date in the past: retried at once.
    let s = script(vec![
        answer(
            429,
            &[("retry-after", "Thu, 01 Jan 1970 00:00:00 GMT")],
            b"",
        ),
        json(200, VERSION),
    ])
    .await;
    let started = clock.elapsed();
    client(&s.url, exact_retries(2, 5000))
        .get_version()
        .await
        .unwrap();
    assert_eq!(s.requests.load(Ordering::SeqCst), 2);
    assert_took(clock.elapsed() - started, 0, "a date in the past");
}

#[tokio::test]
async fn retry_after_in_seconds_and_as_a_date_is_waited_for_measured() {
    let clock = virtual_clock();
    let s = script(vec![
        answer(429, &[("retry-after", "1")], b""),
        json(200, VERSION),
    ])
    .await;
    let started = clock.elapsed();
    client(&s.url, exact_retries(2, 10))
        .get_version()
        .await
        .unwrap();
    assert_took(clock.elapsed() - started, 1000, "retry-after: 1");
    assert_eq!(s.requests.load(Ordering::SeqCst), 2);

    // An HTTP date is read against the virtual clock's system time: 2 s from now exactly.
    let now: SystemTime = clock.system_time();
    let when = httpdate::fmt_http_date(now + Duration::from_secs(2));
    let s = script(vec![
        answer(429, &[("retry-after", &when)], b""),
        json(200, VERSION),
    ])
    .await;
    let started = clock.elapsed();
    client(&s.url, exact_retries(2, 10))
        .get_version()
        .await
        .unwrap();
    assert_took(
        clock.elapsed() - started,
        2000,
        "retry-after: a date 2 s ahead",
    );
    assert_eq!(s.requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn backoff_doubles_and_is_capped_measured() {
    let clock = virtual_clock();
    // Three 503s on a GET, then success: waits of 100, 200 and (capped) 300 ms.
    let s = script(vec![
        answer(503, &[], b""),
        answer(503, &[], b""),
        answer(503, &[], b""),
        json(200, VERSION),
    ])
    .await;
    let retry = RetryPolicy {
        max_backoff: Duration::from_millis(300),
        ..exact_retries(3, 100)
    };
    let started = clock.elapsed();
    client(&s.url, retry).get_version().await.unwrap();
    assert_took(
        clock.elapsed() - started,
        100 + 200 + 300,
        "backoff 100, 200, 300 (capped)",
    );
    assert_eq!(s.requests.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_503_is_retried_for_a_get_but_not_for_a_post_unless_the_server_says_when() {
    let clock = virtual_clock();
    let s = script(vec![answer(503, &[], b""), json(200, VERSION)]).await;
    client(&s.url, exact_retries(2, 10))
        .get_version()
        .await
        .unwrap();
    assert_eq!(s.requests.load(Ordering::SeqCst), 2, "GET retried");
    assert_took(clock.elapsed(), 10, "one backoff of 10 ms");

    // Every v1 call is a POST.
    let s = script(vec![
        answer(503, &[], b""),
        answer(200, &[("content-type", "text/plain")], b"1"),
    ])
    .await;
    let e = client(&s.url, exact_retries(2, 10))
        .v1()
        .get_version_v1()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Api(ref a) if a.status == 503), "{e:?}");
    assert_eq!(s.requests.load(Ordering::SeqCst), 1, "POST not repeated");

    let s = script(vec![
        answer(503, &[("retry-after", "0")], b""),
        answer(200, &[("content-type", "text/plain")], b"1"),
    ])
    .await;
    client(&s.url, exact_retries(2, 10))
        .v1()
        .get_version_v1()
        .await
        .unwrap();
    assert_eq!(
        s.requests.load(Ordering::SeqCst),
        2,
        "POST repeated when the server says when"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error_with_its_cause() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = client(&format!("http://127.0.0.1:{port}"), RetryPolicy::none())
        .get_version()
        .await
        .unwrap_err();
    let Error::Transport(t) = &e else {
        panic!("{e:?}");
    };
    assert_eq!(t.kind, TransportKind::Connect, "{e}");
    let shown = e.to_string();
    assert!(
        shown.contains("could not connect") && shown.to_lowercase().contains("refused"),
        "{shown}"
    );
    assert_eq!(
        shown.matches("failed").count(),
        1,
        "no repeated prefix: {shown}"
    );
    let source = std::error::Error::source(&e).expect("the cause is kept");
    assert!(
        std::error::Error::source(source).is_some(),
        "reqwest's chain goes on: {source:?}"
    );
}

#[tokio::test]
async fn a_reply_cut_mid_body_is_a_reset_and_is_retried_only_for_a_get() {
    let _clock = virtual_clock();
    let mut cut = json(200, VERSION);
    cut.head = cut.head.replace(
        &format!("content-length: {}", VERSION.len()),
        "content-length: 500",
    );
    cut.cut = true;
    let s = script(vec![cut.clone()]).await;
    let e = client(&s.url, exact_retries(1, 10))
        .get_version()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Transport(t) if t.kind == TransportKind::Reset),
        "{e:?}"
    );
    assert_eq!(s.requests.load(Ordering::SeqCst), 2, "GET retried once");

    let s = script(vec![cut]).await;
    let e = client(&s.url, exact_retries(1, 10))
        .v1()
        .get_version_v1()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Transport(t) if t.kind == TransportKind::Reset),
        "{e:?}"
    );
    assert_eq!(
        s.requests.load(Ordering::SeqCst),
        1,
        "POST not repeated after a reset"
    );
}

#[tokio::test]
async fn a_slow_drip_times_out() {
    let mut slow = json(200, VERSION);
    slow.drip = Some(Duration::from_millis(200));
    let s = script(vec![slow]).await;
    let c = Client::builder()
        .api_key("k")
        .base_url(&s.url)
        .rate_limit(RateLimitPolicy::off())
        .retry(RetryPolicy::none())
        .timeout(Some(Duration::from_millis(500)))
        .build()
        .unwrap();
    let e = c.get_version().await.unwrap_err();
    // The whole call's deadline (the request timeout, on tokio's real clock), not the gap
    // between chunks, which is always under it.
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
}

#[tokio::test]
async fn a_reply_over_the_cap_is_refused_while_it_is_read() {
    let big = vec![b' '; 64 * 1024];
    for chunked in [false, true] {
        let mut a = json(200, &String::from_utf8(big.clone()).unwrap());
        if chunked {
            // No length: the cap must stop the read by counting.
            let mut body = format!("{:x}\r\n", big.len()).into_bytes();
            body.extend_from_slice(&big);
            body.extend_from_slice(b"\r\n0\r\n\r\n");
            a.head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".into();
            a.body = body;
        }
        let s = script(vec![a]).await;
        let c = Client::builder()
            .api_key("k")
            .community_id("c")
            .base_url(&s.url)
            .rate_limit(RateLimitPolicy::off())
            .retry(RetryPolicy::none())
            .max_reply_bytes(1024)
            .build()
            .unwrap();
        let e = c.get_version().await.unwrap_err();
        assert!(
            matches!(e, Error::ReplyTooLarge { limit: 1024, .. }),
            "chunked {chunked}: {e:?}"
        );
        let e = c.v1().get_version_v1().await.unwrap_err();
        assert!(
            matches!(e, Error::ReplyTooLarge { limit: 1024, .. }),
            "v1, chunked {chunked}: {e:?}"
        );
    }
}

#[tokio::test]
async fn replies_of_the_wrong_kind_are_typed_errors() {
    let c = |s: &Script| client(&s.url, RetryPolicy::none());
    // JSON of the wrong shape on v2.
    let s = script(vec![json(200, r#"{"version":"two"}"#)]).await;
    assert!(matches!(
        c(&s).get_version().await.unwrap_err(),
        Error::MalformedReply { status: 200, .. }
    ));
    // An undocumented 2xx.
    let s = script(vec![answer(202, &[], b"queued for later")]).await;
    let e = c(&s).get_version().await.unwrap_err();
    assert!(
        matches!(&e, Error::MalformedReply { status: 202, reason, body, .. } if reason.contains("undocumented") && body == "queued for later"),
        "the undocumented status's body is kept for the caller: {e:?}"
    );
    // An HTML 502 from a proxy: the API error with the page clipped.
    let page = format!("<html><body>{}</body></html>", "Bad Gateway ".repeat(1000));
    let s = script(vec![answer(
        502,
        &[("content-type", "text/html")],
        page.as_bytes(),
    )])
    .await;
    let e = c(&s).get_version().await.unwrap_err();
    let Error::Api(api) = &e else { panic!("{e:?}") };
    assert_eq!(api.status, 502);
    assert!(api.body.len() < 2100);
    // A JSON-or-text reply (MODIFY_IDENTIFIER) cut short with a JSON content type.
    let s = script(vec![json(200, r#"{"id": 1, "stat"#)]).await;
    let data: Vec<sonoran_cad::types::ModifyIdentifierV1Item> =
        serde_json::from_value(serde_json::json!([{"action": 0, "apiId": "x", "identifier": {}}]))
            .unwrap();
    let e = c(&s).v1().modify_identifier_v1(&data).await.unwrap_err();
    assert!(
        matches!(&e, Error::MalformedReply { status: 200, .. }),
        "{e:?}"
    );
    // A text reply with invalid UTF-8: the text, lossy, no panic.
    let s = script(vec![answer(
        200,
        &[("content-type", "text/plain")],
        b"ok \xff\xfe done",
    )])
    .await;
    let text = c(&s).v1().get_version_v1().await.unwrap();
    assert_eq!(text, "ok \u{fffd}\u{fffd} done");
}

#[tokio::test]
async fn an_invalid_request_says_so_once() {
    let s = script(vec![json(200, VERSION)]).await;
    let c = Client::builder()
        .api_key("bad\nkey")
        .base_url(&s.url)
        .build()
        .unwrap();
    let e = c.get_version().await.unwrap_err();
    assert!(matches!(e, Error::InvalidRequest(_)), "{e:?}");
    let shown = e.to_string();
    assert_eq!(shown.matches("invalid request").count(), 1, "{shown}");
    assert!(!shown.contains("bad\nkey"));
    assert_eq!(s.requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn pacing_past_the_queue_bound_fails_at_once_as_refused_by_pacing() {
    let clock = virtual_clock();
    let s = script(vec![json(200, VERSION)]).await;
    let paced = |bound: Option<Duration>| {
        Client::builder()
            .api_key("k")
            .base_url(&s.url)
            .rate_limit(
                RateLimitPolicy::documented()
                    .with_limit(sonoran_cad::Operation::GetVersion, 1)
                    .with_window(Duration::from_secs(1))
                    .with_margin(Duration::ZERO),
            )
            .retry(RetryPolicy::none())
            .max_queue(bound)
            .build()
            .unwrap()
    };
    let c = paced(Some(Duration::from_millis(200)));
    c.get_version().await.unwrap();
    let started = clock.elapsed();
    let e = c.get_version().await.unwrap_err();
    let Error::PacingRefused { wait, .. } = e else {
        panic!("{e:?}");
    };
    // No time passed on the paused clock since the first call: the whole window is left.
    assert_eq!(wait, Duration::from_secs(1), "the wait it would have taken");
    assert_took(clock.elapsed() - started, 0, "failed without waiting");
    assert_eq!(
        s.requests.load(Ordering::SeqCst),
        1,
        "the held call was not sent"
    );

    // Per call: the same client with a larger bound waits its turn, sharing the window.
    let started = clock.elapsed();
    c.with_max_queue(Some(Duration::from_secs(5)))
        .get_version()
        .await
        .unwrap();
    assert_took(clock.elapsed() - started, 1000, "waited out the window");
    assert_eq!(s.requests.load(Ordering::SeqCst), 2);

    // Unbounded, the same call waits out the window and succeeds.
    let c = paced(None);
    c.get_version().await.unwrap();
    let started = clock.elapsed();
    c.get_version().await.unwrap();
    assert_took(
        clock.elapsed() - started,
        1000,
        "unbounded: waited out the window",
    );
}

#[tokio::test]
async fn a_retry_after_up_to_max_wait_and_the_deadline_is_waited_for_and_beyond_is_not() {
    let clock = virtual_clock();
    // max_wait is 60 s (the default): exactly 60 is waited for, 61 fails at once. The
    // deadline of 2 s here: a wait ending exactly at it is waited for, one beyond is not.
    let deadline = RetryPolicy {
        deadline: Some(Duration::from_secs(2)),
        ..exact_retries(2, 10)
    };
    for (policy, value, waited) in [
        (exact_retries(2, 10), "60", true),
        (exact_retries(2, 10), "61", false),
        (deadline.clone(), "2", true),
        (deadline, "3", false),
    ] {
        let s = script(vec![
            answer(429, &[("retry-after", value)], b""),
            json(200, VERSION),
        ])
        .await;
        let started = clock.elapsed();
        // No request timeout: it must not be what bounds these waits.
        let c = Client::builder()
            .api_key("k")
            .community_id("c")
            .base_url(&s.url)
            .rate_limit(RateLimitPolicy::off())
            .retry(policy)
            .timeout(None)
            .build()
            .unwrap();
        let result = c.get_version().await;
        let seconds: u64 = value.parse().unwrap();
        if waited {
            assert!(result.is_ok(), "retry-after {value}: {result:?}");
            assert_eq!(s.requests.load(Ordering::SeqCst), 2, "{value}: retried");
            assert_took(clock.elapsed() - started, seconds * 1000, value);
        } else {
            let Err(Error::RateLimited { retry_after, .. }) = result else {
                panic!("retry-after {value}: {result:?}");
            };
            assert_eq!(retry_after, Some(Duration::from_secs(seconds)), "{value}");
            assert_eq!(
                s.requests.load(Ordering::SeqCst),
                1,
                "{value}: not waited for"
            );
            assert_took(clock.elapsed() - started, 0, value);
        }
    }
}
