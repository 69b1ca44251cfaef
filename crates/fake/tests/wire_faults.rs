//! The faults that exist to test a client on the wire (issue 13, point 8), checked on the
//! raw bytes with a plain TCP client: no HTTP library between the fake and the asserts.

mod common;

use common::*;
use serde_json::{Value, json};
use sonoran_fake::{FakeServer, Fault, FaultKind};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

const VERSION: &str = "/v2/general/version";
const SERVERS: &str = "/v2/general/servers";

/// A reply as read off the socket, up to the server closing it.
#[derive(Debug)]
struct Raw {
    status: u16,
    /// Lower-cased names.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// When each read of the body returned, since the request was written, and how many
    /// bytes it brought.
    reads: Vec<(Duration, usize)>,
    /// The connection ended with an error (reset) rather than a clean close.
    reset: bool,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn content_length(&self) -> Option<u64> {
        self.header("content-length").map(|v| v.parse().unwrap())
    }
}

/// `GET path` (v2, with the bearer key, `Connection: close`), read to the end.
async fn get(base: &str, path: &str) -> Raw {
    let head = format!(
        "GET {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {KEY}\r\nconnection: close\r\n\r\n"
    );
    exchange(base, head.as_bytes(), usize::MAX).await
}

/// A v1 envelope call, read to the end.
async fn post_v1(base: &str, path: &str, kind: &str) -> Raw {
    let body = json!({"id": COMMUNITY, "key": KEY, "type": kind, "data": []}).to_string();
    let req = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    exchange(base, req.as_bytes(), usize::MAX).await
}

/// Writes `request`, reads the reply until EOF, an error, or `keep` body bytes (past
/// those only the count goes on: an oversized body is not held).
async fn exchange(base: &str, request: &[u8], keep: usize) -> Raw {
    let addr = base.strip_prefix("http://").unwrap();
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut head_end = None;
    let mut reads = Vec::new();
    let mut reset = false;
    let mut dropped = 0usize;
    loop {
        let n = match s.read(&mut chunk).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(_) => {
                reset = true;
                break;
            }
        };
        match head_end {
            None => {
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    head_end = Some(i + 4);
                    let body_bytes = buf.len() - (i + 4);
                    if body_bytes > 0 {
                        reads.push((started.elapsed(), body_bytes));
                    }
                }
            }
            Some(end) => {
                reads.push((started.elapsed(), n));
                let room = end.saturating_add(keep).saturating_sub(buf.len()).min(n);
                buf.extend_from_slice(&chunk[..room]);
                dropped += n - room;
            }
        }
    }
    let end = head_end.expect("a complete status line and headers");
    let head = String::from_utf8(buf[..end].to_vec()).expect("the head is ASCII");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = buf[end..].to_vec();
    if dropped > 0 {
        body.truncate(keep);
    }
    Raw {
        status,
        headers,
        body,
        reads,
        reset,
    }
}

fn body_len(raw: &Raw) -> usize {
    raw.reads.iter().map(|(_, n)| n).sum()
}

#[tokio::test]
async fn status_with_any_retry_after_then_success() {
    let fake = FakeServer::start().await;
    let odd = [
        "-1",
        "99999999999999999999",
        "soon",
        "Sun, 06 Nov 1994 08:49:37 GMT",
    ];
    for value in odd {
        fake.inject(
            Fault::on("getVersion", FaultKind::Status(503))
                .times(2)
                .with_retry_after(value),
        );
        for _ in 0..2 {
            let r = get(&fake.url(), VERSION).await;
            assert_eq!(r.status, 503);
            assert_eq!(r.header("retry-after"), Some(value), "sent as given");
            assert_eq!(r.header("content-type"), Some("application/problem+json"));
        }
        let r = get(&fake.url(), VERSION).await;
        assert_eq!(r.status, 200, "then the operation answers normally");
        assert_eq!(r.header("retry-after"), None);
    }
    // On every status fault, v1 text and problem included.
    fake.inject(Fault::any(FaultKind::Status(500)).with_retry_after("7"));
    let r = post_v1(&fake.url(), "/general/get_version", "GET_VERSION").await;
    assert_eq!((r.status, r.header("retry-after")), (500, Some("7")));
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    fake.inject(Fault::any(FaultKind::Html { status: 502 }).with_retry_after("0"));
    let r = get(&fake.url(), VERSION).await;
    assert_eq!((r.status, r.header("retry-after")), (502, Some("0")));
    // A raw value replaces the 429's own.
    fake.inject(
        Fault::any(FaultKind::RateLimited {
            retry_after: Some(sonoran_fake::RetryAfter::Seconds(5)),
        })
        .with_retry_after("garbage"),
    );
    let r = get(&fake.url(), VERSION).await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("garbage")));
}

#[tokio::test]
async fn status_then_success_through_the_control_api() {
    let fake = FakeServer::start().await;
    let r = client()
        .post(format!("{}/__fake/faults", fake.url()))
        .json(&json!({"operationId": "getVersion", "times": 2,
                      "kind": {"type": "status", "status": 503, "retryAfter": "-5"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    for _ in 0..2 {
        let r = get(&fake.url(), VERSION).await;
        assert_eq!((r.status, r.header("retry-after")), (503, Some("-5")));
    }
    assert_eq!(get(&fake.url(), VERSION).await.status, 200);
}

#[tokio::test]
async fn truncate_is_a_reset_mid_body() {
    let fake = FakeServer::start().await;
    let whole = get(&fake.url(), SERVERS).await;
    assert_eq!(whole.status, 200);
    assert_eq!(whole.content_length(), Some(whole.body.len() as u64));
    fake.inject(Fault::on("getServers", FaultKind::Truncate));
    let r = get(&fake.url(), SERVERS).await;
    assert_eq!(r.status, 200);
    let announced = r.content_length().unwrap() as usize;
    assert_eq!(announced, whole.body.len(), "the full length is announced");
    assert!(!r.body.is_empty(), "part of the body is sent");
    assert!(r.body.len() < announced, "then the connection ends short");
    assert_eq!(
        r.body,
        whole.body[..r.body.len()],
        "the part is the real start"
    );
}

/// On tokio's paused clock (the fake on the test's runtime; its drip is a timer, and the
/// only one until the client's timeout below): the chunks' spacing is exact virtual time.
#[tokio::test(start_paused = true)]
async fn drip_sends_the_body_a_few_bytes_at_a_time() {
    let fake = FakeServer::start().await;
    let whole = get(&fake.url(), VERSION).await;
    let every = Duration::from_millis(30);
    fake.inject(Fault::on("getVersion", FaultKind::Drip { chunk: 3, every }));
    let r = get(&fake.url(), VERSION).await;
    assert_eq!(r.status, 200);
    assert!(!r.reset);
    assert_eq!(r.body, whole.body, "the same body in the end");
    assert_eq!(r.content_length(), Some(whole.body.len() as u64));
    let chunks = whole.body.len().div_ceil(3);
    assert!(chunks >= 3, "the example is long enough to drip");
    assert!(
        r.reads.iter().all(|(_, n)| *n <= 3),
        "never more than a chunk per read: {:?}",
        r.reads
    );
    let at: Vec<Duration> = r.reads.iter().map(|(t, _)| *t - r.reads[0].0).collect();
    let spaced: Vec<Duration> = (0..chunks as u32).map(|i| every * i).collect();
    assert_eq!(at, spaced, "one chunk every {every:?} of virtual time");

    // Over the control API, with a client timeout firing mid-body.
    let r = client()
        .post(format!("{}/__fake/faults", fake.url()))
        .json(&json!({"operationId": "getVersion",
                      "kind": {"type": "drip", "chunkBytes": 1, "everyMs": 200}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let sent = Instant::now();
    let r = client()
        .get(format!("{}{VERSION}", fake.url()))
        .bearer_auth(KEY)
        .timeout(Duration::from_millis(500))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the head arrives at once");
    let e = r.bytes().await.unwrap_err();
    assert!(e.is_timeout(), "the timeout fires mid-body: {e}");
    assert_eq!(
        sent.elapsed(),
        Duration::from_millis(500),
        "at the client's timeout (virtual time), not after the body"
    );
}

#[tokio::test]
async fn oversized_streams_a_generated_body_of_that_size() {
    let fake = FakeServer::start().await;
    let bytes = 20 * 1024 * 1024 + 1;
    fake.inject(Fault::on("getServers", FaultKind::Oversized { bytes }));
    let head = format!(
        "GET {SERVERS} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {KEY}\r\nconnection: close\r\n\r\n"
    );
    let r = exchange(&fake.url(), head.as_bytes(), 64).await;
    assert_eq!(r.status, 200);
    assert!(!r.reset);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.content_length(), Some(bytes));
    assert_eq!(
        body_len(&r) as u64,
        bytes,
        "exactly that many bytes, then EOF"
    );
    assert!(
        r.body.starts_with(b"[0,0,0"),
        "{:?}",
        String::from_utf8_lossy(&r.body)
    );

    // Small enough to read whole: valid JSON of exactly that size.
    fake.inject(Fault::on(
        "getServers",
        FaultKind::Oversized { bytes: 1000 },
    ));
    let r = get(&fake.url(), SERVERS).await;
    assert_eq!(r.body.len(), 1000);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert!(v.as_array().unwrap().iter().all(|x| x == 0));

    // A text operation gets text.
    fake.inject(Fault::on(
        "getVersionV1",
        FaultKind::Oversized { bytes: 100 },
    ));
    let r = post_v1(&fake.url(), "/general/get_version", "GET_VERSION").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, vec![b'a'; 100]);
}

#[tokio::test]
async fn non_utf8_success_bodies() {
    let fake = FakeServer::start().await;
    fake.inject(Fault::on("getVersion", FaultKind::NonUtf8));
    let r = get(&fake.url(), VERSION).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(std::str::from_utf8(&r.body).is_err());
    assert_eq!(r.body, b"{\"message\":\"caf\xE9 \xFF\xFE\"}");

    fake.inject(Fault::on("getVersionV1", FaultKind::NonUtf8));
    let r = post_v1(&fake.url(), "/general/get_version", "GET_VERSION").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    assert!(std::str::from_utf8(&r.body).is_err());
}

#[tokio::test]
async fn html_proxy_page_empty_2xx_and_wrong_shape() {
    let fake = FakeServer::start().await;
    fake.inject(Fault::on("getVersion", FaultKind::Html { status: 502 }));
    let r = get(&fake.url(), VERSION).await;
    assert_eq!(r.status, 502);
    assert_eq!(r.header("content-type"), Some("text/html"));
    let page = String::from_utf8(r.body).unwrap();
    assert!(page.contains("<title>502 Bad Gateway</title>"), "{page}");

    fake.inject(Fault::on("getVersion", FaultKind::Empty { status: 202 }));
    let r = get(&fake.url(), VERSION).await;
    assert_eq!(r.status, 202);
    assert_eq!(r.header("content-type"), None);
    assert_eq!(r.content_length(), Some(0));
    assert!(r.body.is_empty());

    for shape in [json!([]), json!({"unexpected": 1})] {
        fake.inject(Fault::on(
            "getServers",
            FaultKind::Json {
                status: 200,
                body: shape.clone(),
            },
        ));
        let r = get(&fake.url(), SERVERS).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(serde_json::from_slice::<Value>(&r.body).unwrap(), shape);
    }

    // The same over the control API.
    for (kind, status) in [
        (json!({"type": "html"}), 502),
        (json!({"type": "empty"}), 202),
        (json!({"type": "json", "body": {"unexpected": 1}}), 200),
        (json!({"type": "nonUtf8"}), 200),
        (json!({"type": "oversized", "bytes": 10}), 200),
    ] {
        let r = client()
            .post(format!("{}/__fake/faults", fake.url()))
            .json(&json!({"operationId": "getVersion", "kind": kind}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204, "{kind}");
        let r = get(&fake.url(), VERSION).await;
        assert_eq!(r.status, status, "{kind}");
    }
}
