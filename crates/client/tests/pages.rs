//! Paginated operations as streams (`.stream()` on their request builders), against a
//! scripted server that answers exact page sequences: every item of every page in order,
//! exactly the pages expected (never one twice), the documented ends (total, short page,
//! empty page, no next cursor), an error mid-stream as the last item, a repeated cursor or
//! an ignored offset as an error rather than a loop, pacing between pages on the virtual
//! clock.

use futures_util::StreamExt;
use sonoran_cad::runtime::VirtualClock;
use sonoran_cad::{Client, Error, RateLimitPolicy, RetryPolicy};
use sonoran_fake::scripted::{Reply, Server};
use std::num::NonZeroU64;
use std::time::{Duration, SystemTime};

fn client(url: &str) -> Client {
    Client::builder()
        .community_id("YOUR_COMMUNITY_ID")
        .api_key("YOUR_API_KEY")
        .base_url(url)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn json(body: serde_json::Value) -> Reply {
    Reply::new(200, "application/json", &body.to_string())
}

fn account(name: &str) -> serde_json::Value {
    serde_json::json!({"uuid": "00000000-0000-0000-0000-000000000000", "username": name, "status": 1})
}

fn accounts_page(offset: u64, total: u64, names: &[&str]) -> Reply {
    json(serde_json::json!({
        "pagination": {"limit": 2, "offset": offset, "total": total},
        "accounts": names.iter().map(|n| account(n)).collect::<Vec<_>>(),
    }))
}

fn unit(id: i64) -> serde_json::Value {
    serde_json::json!({"id": id, "accId": "00000000-0000-0000-0000-000000000000", "status": 1})
}

fn units(ids: &[i64]) -> Reply {
    json(serde_json::Value::Array(
        ids.iter().map(|i| unit(*i)).collect(),
    ))
}

fn targets(server: &Server) -> Vec<String> {
    server.take().into_iter().map(|seen| seen.target).collect()
}

fn two() -> NonZeroU64 {
    NonZeroU64::new(2).unwrap()
}

#[tokio::test]
async fn every_account_of_every_page_in_order_each_page_asked_for_once_until_the_total() {
    let server = Server::start().await;
    server.script(vec![
        accounts_page(0, 5, &["a", "b"]),
        accounts_page(2, 5, &["c", "d"]),
        accounts_page(4, 5, &["e"]),
        // Never asked for: the total was reached.
        accounts_page(6, 5, &["x"]),
    ]);
    let names: Vec<String> = client(&server.url)
        .get_accounts()
        .limit(two())
        .stream()
        .map(|a| a.unwrap().username.unwrap())
        .collect()
        .await;
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    assert_eq!(
        targets(&server),
        [
            "/v2/general/accounts?limit=2&offset=0",
            "/v2/general/accounts?limit=2&offset=2",
            "/v2/general/accounts?limit=2&offset=4",
        ]
    );
}

#[tokio::test]
async fn a_full_last_page_that_reaches_the_total_ends_without_asking_for_an_empty_one() {
    let server = Server::start().await;
    server.script(vec![
        accounts_page(10, 14, &["a", "b"]),
        accounts_page(12, 14, &["c", "d"]),
        accounts_page(14, 14, &[]),
    ]);
    let got: Vec<_> = client(&server.url)
        .get_accounts()
        .limit(two())
        .offset(10)
        .stream()
        .collect()
        .await;
    assert_eq!(got.len(), 4);
    assert_eq!(
        targets(&server),
        [
            "/v2/general/accounts?limit=2&offset=10",
            "/v2/general/accounts?limit=2&offset=12",
        ],
        "the stream starts at the builder's offset and stops at the total"
    );
}

#[tokio::test]
async fn pages_without_a_total_end_at_a_short_page() {
    let server = Server::start().await;
    server.script(vec![
        units(&[1, 2]),
        units(&[3, 4]),
        units(&[5]),
        units(&[9]),
    ]);
    let ids: Vec<i64> = client(&server.url)
        .get_active_units()
        .limit(two())
        .stream()
        .map(|u| u.unwrap().id.unwrap())
        .collect()
        .await;
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    assert_eq!(
        targets(&server),
        [
            "/v2/emergency/servers/1/units?limit=2&offset=0",
            "/v2/emergency/servers/1/units?limit=2&offset=2",
            "/v2/emergency/servers/1/units?limit=2&offset=4",
        ]
    );
}

#[tokio::test]
async fn pages_without_a_total_end_at_an_empty_page() {
    let server = Server::start().await;
    server.script(vec![units(&[1, 2]), units(&[]), units(&[9])]);
    let ids: Vec<i64> = client(&server.url)
        .get_active_units()
        .limit(two())
        .stream()
        .map(|u| u.unwrap().id.unwrap())
        .collect()
        .await;
    assert_eq!(ids, [1, 2]);
    assert_eq!(targets(&server).len(), 2);
}

#[tokio::test]
async fn the_documented_default_page_size_ends_a_short_page_when_no_limit_is_set() {
    // getActiveUnits documents `limit` default 100: a page of 3 is the last one.
    let server = Server::start().await;
    server.script(vec![units(&[1, 2, 3]), units(&[9])]);
    let got: Vec<_> = client(&server.url)
        .get_active_units()
        .stream()
        .collect()
        .await;
    assert_eq!(got.len(), 3);
    assert_eq!(targets(&server), ["/v2/emergency/servers/1/units?offset=0"]);
}

#[tokio::test]
async fn pages_are_asked_for_lazily() {
    let server = Server::start().await;
    server.script(vec![units(&[1, 2]), units(&[3, 4])]);
    let mut stream = client(&server.url).get_active_units().limit(two()).stream();
    assert_eq!(stream.next().await.unwrap().unwrap().id, Some(1));
    assert_eq!(stream.next().await.unwrap().unwrap().id, Some(2));
    assert_eq!(
        targets(&server).len(),
        1,
        "the second page is not asked for yet"
    );
    assert_eq!(stream.next().await.unwrap().unwrap().id, Some(3));
    assert_eq!(targets(&server).len(), 1);
    drop(stream);
}

#[tokio::test]
async fn an_error_mid_stream_is_the_last_item() {
    let server = Server::start().await;
    server.script(vec![
        units(&[1, 2]),
        Reply::new(
            500,
            "application/problem+json",
            r#"{"title":"Internal Server Error","status":500,"detail":"boom"}"#,
        ),
        units(&[3]),
    ]);
    let got: Vec<_> = client(&server.url)
        .get_active_units()
        .limit(two())
        .stream()
        .collect()
        .await;
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].as_ref().unwrap().id, Some(1));
    assert_eq!(got[1].as_ref().unwrap().id, Some(2));
    match &got[2] {
        Err(Error::Api(e)) => assert_eq!(e.status, 500),
        other => panic!("expected the page's API error, got {other:?}"),
    }
    assert_eq!(
        targets(&server).len(),
        2,
        "nothing is asked for after the error"
    );
}

#[tokio::test]
async fn a_server_that_ignores_the_offset_ends_the_stream_with_an_error_not_a_loop() {
    let server = Server::start().await;
    // Always the first page, whatever the offset asked for.
    server.script(vec![accounts_page(0, 100, &["a", "b"])]);
    let got: Vec<_> = client(&server.url)
        .get_accounts()
        .limit(two())
        .stream()
        .collect()
        .await;
    assert_eq!(got.len(), 3, "{got:?}");
    match &got[2] {
        Err(Error::MalformedReply { reason, .. }) => {
            assert!(
                reason.contains("getAccounts") && reason.contains("offset 2"),
                "{reason}"
            )
        }
        other => panic!("expected a malformed reply, got {other:?}"),
    }
    assert_eq!(targets(&server).len(), 2);
}

fn actions(cursors: &[i64], next: Option<i64>) -> Reply {
    let events: Vec<_> = cursors
        .iter()
        .map(|c| serde_json::json!({"cursor": c, "panelKey": "example.fire-alarms", "actionId": "a"}))
        .collect();
    let mut body = serde_json::json!({"events": events});
    if let Some(n) = next {
        body["nextCursor"] = n.into();
    }
    json(body)
}

#[tokio::test]
async fn cursor_pages_follow_next_cursor_until_a_reply_without_one() {
    let server = Server::start().await;
    server.script(vec![
        actions(&[1, 2], Some(2)),
        actions(&[3], Some(3)),
        actions(&[], None),
    ]);
    let cursors: Vec<i64> = client(&server.url)
        .poll_integration_panel_actions("example.fire-alarms")
        .stream()
        .map(|e| e.unwrap().cursor.unwrap())
        .collect()
        .await;
    assert_eq!(cursors, [1, 2, 3]);
    assert_eq!(
        targets(&server),
        [
            "/v2/integration-panels/servers/1/panels/example.fire-alarms/actions?after=0",
            "/v2/integration-panels/servers/1/panels/example.fire-alarms/actions?after=2",
            "/v2/integration-panels/servers/1/panels/example.fire-alarms/actions?after=3",
        ]
    );
}

#[tokio::test]
async fn cursor_pages_end_at_a_reply_without_next_cursor() {
    let server = Server::start().await;
    server.script(vec![actions(&[7], None), actions(&[8], Some(8))]);
    let got: Vec<_> = client(&server.url)
        .poll_integration_panel_actions("example.fire-alarms")
        .after(6)
        .stream()
        .collect()
        .await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        targets(&server),
        ["/v2/integration-panels/servers/1/panels/example.fire-alarms/actions?after=6"]
    );
}

#[tokio::test]
async fn a_repeated_cursor_gives_its_page_then_an_error_and_is_not_asked_for_again() {
    let server = Server::start().await;
    server.script(vec![actions(&[1], Some(5)), actions(&[6], Some(5))]);
    let got: Vec<_> = client(&server.url)
        .poll_integration_panel_actions("example.fire-alarms")
        .stream()
        .collect()
        .await;
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[1].as_ref().unwrap().cursor, Some(6));
    match &got[2] {
        Err(Error::MalformedReply { reason, .. }) => assert!(
            reason.contains("pollIntegrationPanelActions") && reason.contains("cursor 5"),
            "{reason}"
        ),
        other => panic!("expected a malformed reply, got {other:?}"),
    }
    assert_eq!(targets(&server).len(), 2);
}

#[tokio::test]
async fn each_page_carries_the_builders_headers() {
    let server = Server::start().await;
    server.script(vec![units(&[1]), units(&[])]);
    let _: Vec<_> = client(&server.url)
        .get_active_units()
        .limit(NonZeroU64::MIN)
        .header("x-trace", "t1")
        .stream()
        .collect()
        .await;
    let seen = server.take();
    assert_eq!(seen.len(), 2);
    assert!(
        seen.iter()
            .all(|s| s.headers.get("x-trace").map(String::as_str) == Some("t1"))
    );
}

#[tokio::test]
async fn pages_are_paced_to_the_documented_limit() {
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);
    let server = Server::start().await;
    server.script(vec![
        units(&[1]),
        units(&[2]),
        units(&[3]),
        units(&[4]),
        units(&[]),
    ]);
    let client = Client::builder()
        .community_id("YOUR_COMMUNITY_ID")
        .api_key("YOUR_API_KEY")
        .base_url(&server.url)
        .retry(RetryPolicy::none())
        .rate_limit(
            RateLimitPolicy::documented()
                .with_window(Duration::from_secs(1))
                .with_margin(Duration::from_millis(25)),
        )
        .build()
        .unwrap();
    // getActiveUnits is documented at 3 per minute (here per 1 s window and a 25 ms margin):
    // the fourth page waits for the window.
    let mut stream = client.get_active_units().limit(NonZeroU64::MIN).stream();
    let mut at = Vec::new();
    while let Some(unit) = stream.next().await {
        unit.unwrap();
        at.push(clock.elapsed().as_millis());
    }
    assert_eq!(
        at,
        [0, 0, 0, 1025],
        "virtual ms at which each page's item arrived"
    );
    assert_eq!(server.take().len(), 5);
}

// The v1 calls page through their envelope's `data`: `.stream()` on their `client.v1()`
// builders sets the offset in every request object of `data`, one `POST` per page.

/// The `data` of each v1 request the server saw (after checking the path and `type`).
fn v1_data(server: &Server, path: &str, v1_type: &str) -> Vec<serde_json::Value> {
    server
        .take()
        .into_iter()
        .map(|seen| {
            assert_eq!((seen.method.as_str(), seen.target.as_str()), ("POST", path));
            let body: serde_json::Value = serde_json::from_str(&seen.body).unwrap();
            assert_eq!(body["type"], v1_type);
            body["data"].clone()
        })
        .collect()
}

fn v1_accounts_page(offset: u64, total: u64, names: &[&str]) -> Reply {
    // The same shape as v2's page: `pagination` and `accounts`.
    accounts_page(offset, total, names)
}

#[tokio::test]
async fn v1_accounts_of_every_page_until_the_total_each_page_asked_for_once() {
    let server = Server::start().await;
    server.script(vec![
        v1_accounts_page(0, 5, &["a", "b"]),
        v1_accounts_page(2, 5, &["c", "d"]),
        v1_accounts_page(4, 5, &["e"]),
        v1_accounts_page(6, 5, &["x"]),
    ]);
    let item = sonoran_cad::types::GetAccountsV1Item::default()
        .limit(two())
        .status(sonoran_cad::enums::AccountStatus::Pending);
    let names: Vec<String> = client(&server.url)
        .v1()
        .get_accounts_v1(&[item])
        .stream()
        .map(|a| a.unwrap().username.unwrap())
        .collect()
        .await;
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    let data = v1_data(&server, "/general/get_accounts", "GET_ACCOUNTS");
    assert_eq!(
        data,
        [0, 2, 4]
            .map(|o| serde_json::json!([{"limit": 2, "offset": o, "status": 0}]))
            .to_vec(),
        "one request per page, the offset set in `data`, the other fields as given"
    );
}

#[tokio::test]
async fn v1_accounts_at_another_offset_than_asked_for_end_with_an_error_not_a_loop() {
    let server = Server::start().await;
    server.script(vec![v1_accounts_page(0, 100, &["a", "b"])]);
    let item = sonoran_cad::types::GetAccountsV1Item::default().limit(two());
    let got: Vec<_> = client(&server.url)
        .v1()
        .get_accounts_v1(&[item])
        .stream()
        .collect()
        .await;
    assert_eq!(got.len(), 3, "{got:?}");
    match &got[2] {
        Err(Error::MalformedReply { reason, .. }) => assert!(
            reason.contains("getAccountsV1") && reason.contains("offset 2"),
            "{reason}"
        ),
        other => panic!("expected a malformed reply, got {other:?}"),
    }
    assert_eq!(
        v1_data(&server, "/general/get_accounts", "GET_ACCOUNTS").len(),
        2
    );
}

#[tokio::test]
async fn v1_units_end_at_a_short_page_from_the_offset_given() {
    let server = Server::start().await;
    server.script(vec![units(&[1, 2]), units(&[3]), units(&[9])]);
    let item = sonoran_cad::types::GetActiveUnitsV1Item::default()
        .limit(two())
        .offset(10_u64)
        .include_offline(true);
    let ids: Vec<i64> = client(&server.url)
        .v1()
        .get_active_units_v1(&[item])
        .stream()
        .map(|u| u.unwrap().id.unwrap())
        .collect()
        .await;
    assert_eq!(ids, [1, 2, 3]);
    let offsets: Vec<_> = v1_data(&server, "/emergency/get_active_units", "GET_ACTIVE_UNITS")
        .into_iter()
        .map(|d| {
            assert_eq!(d[0]["limit"], 2);
            assert_eq!(d[0]["includeOffline"], true);
            assert_eq!(d[0]["serverId"], 1, "the client's server, on every page");
            d[0]["offset"].clone()
        })
        .collect();
    assert_eq!(offsets, [10, 12]);
}

#[tokio::test]
async fn v1_units_default_page_size_ends_a_short_page_when_no_limit_is_set() {
    let server = Server::start().await;
    server.script(vec![units(&[1, 2, 3]), units(&[4])]);
    let got: Vec<_> = client(&server.url)
        .v1()
        .get_active_units_v1(&[sonoran_cad::types::GetActiveUnitsV1Item::default()])
        .stream()
        .collect()
        .await;
    assert_eq!(got.len(), 3, "3 < the documented default 100: one page");
    assert_eq!(
        v1_data(&server, "/emergency/get_active_units", "GET_ACTIVE_UNITS").len(),
        1
    );
}

fn records(ids: &[i64]) -> Reply {
    json(serde_json::Value::Array(
        ids.iter()
            .map(|i| serde_json::json!({"id": i, "name": "r"}))
            .collect(),
    ))
}

#[tokio::test]
async fn v1_lookup_without_a_limit_ends_at_an_empty_page() {
    let server = Server::start().await;
    server.script(vec![records(&[1, 2, 3]), records(&[]), records(&[7])]);
    let item = sonoran_cad::types::LookupValueV1Item::new(
        sonoran_cad::enums::LookupSearchType::Number,
        sonoran_cad::types::StringOrInteger::Integer(42),
    );
    let ids: Vec<i64> = client(&server.url)
        .v1()
        .lookup_value_v1(&[item])
        .stream()
        .map(|r| r.unwrap().id.unwrap())
        .collect()
        .await;
    assert_eq!(ids, [1, 2, 3]);
    let data = v1_data(&server, "/general/lookup_value", "LOOKUP_INT");
    let offsets: Vec<_> = data.iter().map(|d| d[0]["offset"].clone()).collect();
    assert_eq!(
        offsets,
        [0, 3],
        "no page size is documented: the empty page ends"
    );
    assert!(
        data.iter()
            .all(|d| d[0]["value"] == 42 && d[0].get("limit").is_none())
    );
}

#[tokio::test]
async fn v1_every_request_object_of_data_gets_the_page_offset() {
    let server = Server::start().await;
    server.script(vec![units(&[1]), units(&[])]);
    let items = [
        sonoran_cad::types::GetActiveUnitsV1Item::default().limit(NonZeroU64::MIN),
        sonoran_cad::types::GetActiveUnitsV1Item::default()
            .limit(NonZeroU64::MIN)
            .server_id(2),
    ];
    let got: Vec<_> = client(&server.url)
        .v1()
        .get_active_units_v1(&items)
        .stream()
        .collect()
        .await;
    assert_eq!(got.len(), 1);
    let data = v1_data(&server, "/emergency/get_active_units", "GET_ACTIVE_UNITS");
    let offsets: Vec<Vec<_>> = data
        .iter()
        .map(|d| {
            d.as_array()
                .unwrap()
                .iter()
                .map(|i| i["offset"].clone())
                .collect()
        })
        .collect();
    assert_eq!(offsets, [vec![0, 0], vec![1, 1]]);
    assert_eq!(data[1][1]["serverId"], 2);
}

#[tokio::test]
async fn v1_empty_data_is_an_error_and_nothing_is_sent() {
    let server = Server::start().await;
    server.script(vec![units(&[1])]);
    let got: Vec<_> = client(&server.url)
        .v1()
        .get_active_units_v1(&[])
        .stream()
        .collect()
        .await;
    assert_eq!(got.len(), 1, "{got:?}");
    match &got[0] {
        Err(Error::InvalidRequest(reason)) => assert!(
            reason.contains("getActiveUnitsV1") && reason.contains("`data`"),
            "{reason}"
        ),
        other => panic!("expected an invalid request, got {other:?}"),
    }
    assert!(server.take().is_empty());
}

#[tokio::test]
async fn v1_pages_are_paced_by_the_limit_set_for_the_call() {
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);
    let server = Server::start().await;
    server.script(vec![units(&[1]), units(&[2]), units(&[3]), units(&[])]);
    let client = Client::builder()
        .community_id("YOUR_COMMUNITY_ID")
        .api_key("YOUR_API_KEY")
        .base_url(&server.url)
        .retry(RetryPolicy::none())
        .rate_limit(
            RateLimitPolicy::documented()
                .with_limit(sonoran_cad::Operation::GetActiveUnitsV1, 2)
                .with_window(Duration::from_secs(1))
                .with_margin(Duration::from_millis(25)),
        )
        .build()
        .unwrap();
    // v1 calls have no published limit; with one set (2 per 1 s window, 25 ms margin) the
    // third page waits for the window.
    let item = sonoran_cad::types::GetActiveUnitsV1Item::default().limit(NonZeroU64::MIN);
    let mut stream = client.v1().get_active_units_v1(&[item]).stream();
    let mut at = Vec::new();
    while let Some(unit) = stream.next().await {
        unit.unwrap();
        at.push(clock.elapsed().as_millis());
    }
    assert_eq!(
        at,
        [0, 0, 1025],
        "virtual ms at which each page's item arrived"
    );
    assert_eq!(server.take().len(), 4);
}
