//! Real requests over loopback: what the generated client puts on the wire for v2 calls,
//! and that it decodes the typed reply.

use sonoran_cad::{Client, types};
use std::collections::BTreeMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What one request looked like on the wire.
#[derive(Debug)]
struct Seen {
    method: String,
    target: String,
    headers: BTreeMap<String, String>,
    body: String,
}

/// Serves exactly one request with `status` and `body`, and hands back what it received.
async fn serve_once(
    status: u16,
    content_type: &'static str,
    body: &'static str,
) -> (String, tokio::task::JoinHandle<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            let n = socket.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed before the request head ended");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.lines();
        let mut start = lines.next().unwrap().split(' ');
        let (method, target) = (
            start.next().unwrap().to_string(),
            start.next().unwrap().to_string(),
        );
        let headers: BTreeMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .get("content-length")
            .map_or(0, |v| v.parse().unwrap());
        while buf.len() < head_end + len {
            let n = socket.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
        }
        let received = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
        let reply = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(reply.as_bytes()).await.unwrap();
        Seen {
            method,
            target,
            headers,
            body: received,
        }
    });
    (url, task)
}

const UPDATED: &str = r#"{"identId":12,"serverId":1,"identifier":{"id":12,"accId":"00000000-0000-0000-0000-000000000000","status":3,"isPanic":false,"location":"Mission Row PD","coordinates":{"x":123.45,"y":-456.78,"z":32.1,"w":180.0},"aop":"Los Santos","data":{"unitNum":"A-10","name":"John Doe","district":"Los Santos","department":"LSPD","subdivision":"Patrol","rank":"Officer","group":"CAR-51","page":0},"isDispatch":false}}"#;

#[tokio::test]
async fn update_identifier_sends_bearer_auth_and_the_typed_body() {
    let (url, seen) = serve_once(200, "application/json", UPDATED).await;
    let client = Client::builder()
        .api_key("test-key-123")
        .community_id("c1")
        .base_url(&url)
        .build()
        .unwrap();
    let account: uuid::Uuid = "00000000-0000-0000-0000-000000000000".parse().unwrap();
    let body: types::UpdateIdentifierRequest = serde_json::from_value(
        serde_json::json!({"status": 2, "group": "SUPERVISOR-1", "page": 3}),
    )
    .unwrap();

    let reply = client
        .update_identifier(&account, 12, &body)
        .await
        .unwrap()
        .into_inner();
    let seen = seen.await.unwrap();

    assert_eq!(seen.method, "PATCH");
    assert_eq!(
        seen.target,
        "/v2/emergency/accounts/00000000-0000-0000-0000-000000000000/identifiers/12"
    );
    assert_eq!(seen.headers["authorization"], "Bearer test-key-123");
    assert_eq!(seen.headers["content-type"], "application/json");
    let sent: serde_json::Value = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"status": 2, "group": "SUPERVISOR-1", "page": 3})
    );
    assert!(
        !seen.target.contains("test-key-123"),
        "the key never goes in the URL"
    );

    assert_eq!(reply.ident_id, Some(12));
    let identifier = reply.identifier.expect("identifier in the reply");
    assert_eq!(identifier.location.as_deref(), Some("Mission Row PD"));
    assert_eq!(
        identifier.data.and_then(|d| d.unit_num).as_deref(),
        Some("A-10")
    );
}

#[tokio::test]
async fn query_parameters_with_defaults_may_be_left_out() {
    let (url, seen) = serve_once(
        200,
        "application/json",
        r#"{"ActiveCalls":[],"EmergencyCalls":[],"ClosedCalls":[],"ClosedCallCount":0}"#,
    )
    .await;
    let client = Client::builder()
        .api_key("k")
        .base_url(&url)
        .server_id(3)
        .build()
        .unwrap();
    let reply = client
        .get_calls(client.server_id(), Some(5), None, None)
        .await
        .unwrap()
        .into_inner();
    let seen = seen.await.unwrap();
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.target, "/v2/emergency/servers/3/calls?closedLimit=5");
    assert_eq!(seen.headers["authorization"], "Bearer k");
    assert_eq!(reply.closed_call_count, Some(0));
}

#[tokio::test]
async fn an_error_reply_is_an_error_not_a_decoding_success() {
    let (url, seen) = serve_once(
        401,
        "application/problem+json",
        r#"{"type":"https://httpstatuses.com/401","title":"Unauthorized","status":401,"detail":"Missing Authorization header."}"#,
    )
    .await;
    let client = Client::builder()
        .api_key("k")
        .base_url(&url)
        .build()
        .unwrap();
    let err = client.get_version().await.unwrap_err();
    seen.await.unwrap();
    assert_eq!(err.status(), Some(reqwest::StatusCode::UNAUTHORIZED));
}
