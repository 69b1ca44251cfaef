//! CMS's paginated operations as streams: enveloped pages (`{success, data, meta}`) read
//! through `data`, `take`/`skip` and the reply's `total`, a short page without a total, and
//! a reply that is not the page asked for.

use futures_util::StreamExt;
use sonoran_cms::{Client, Error, RetryPolicy};
use sonoran_fake::scripted::{Reply, Server};

fn client(url: &str) -> Client {
    Client::builder()
        .community_id("YOUR_COMMUNITY_ID")
        .api_key("YOUR_API_KEY")
        .base_url(url)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn enveloped(data: serde_json::Value) -> Reply {
    Reply::new(
        200,
        "application/json",
        &serde_json::json!({"success": true, "data": data}).to_string(),
    )
}

fn accounts(skip: u64, total: u64, names: &[&str]) -> Reply {
    let items: Vec<_> = names
        .iter()
        .map(|n| serde_json::json!({"accId": "00000000-0000-0000-0000-000000000000", "accName": n}))
        .collect();
    enveloped(serde_json::json!({"items": items, "total": total, "skip": skip, "take": 2}))
}

fn targets(server: &Server) -> Vec<String> {
    server.take().into_iter().map(|seen| seen.target).collect()
}

#[tokio::test]
async fn every_account_of_every_enveloped_page_until_the_total() {
    let server = Server::start().await;
    server.script(vec![
        accounts(0, 3, &["a", "b"]),
        accounts(2, 3, &["c"]),
        accounts(4, 3, &["x"]),
    ]);
    let names: Vec<String> = client(&server.url)
        .get_accounts()
        .take(2)
        .stream()
        .map(|a| a.unwrap().acc_name.unwrap())
        .collect()
        .await;
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(
        targets(&server),
        [
            "/v2/community/accounts?skip=0&take=2",
            "/v2/community/accounts?skip=2&take=2",
        ]
    );
}

#[tokio::test]
async fn a_roster_pages_its_rows_not_its_columns_until_a_short_page() {
    let server = Server::start().await;
    let page = |rows: &[i64]| {
        let rows: Vec<_> = rows
            .iter()
            .map(|p| serde_json::json!({"uuid": "55555555-5555-5555-5555-555555555555", "sortPower": p}))
            .collect();
        enveloped(serde_json::json!({"rows": rows, "columns": [{"field": "name"}]}))
    };
    server.script(vec![page(&[1, 2]), page(&[3]), page(&[9])]);
    let powers: Vec<i64> = client(&server.url)
        .get_roster_contents(7)
        .limit(2)
        .stream()
        .map(|r| r.unwrap().sort_power.unwrap())
        .collect()
        .await;
    assert_eq!(powers, [1, 2, 3]);
    assert_eq!(
        targets(&server),
        [
            "/v2/community/rosters/7?limit=2&skip=0",
            "/v2/community/rosters/7?limit=2&skip=2",
        ]
    );
}

#[tokio::test]
async fn an_unsuccessful_envelope_mid_stream_is_the_last_item() {
    let server = Server::start().await;
    server.script(vec![
        accounts(0, 10, &["a", "b"]),
        Reply::new(
            200,
            "application/json",
            r#"{"success":false,"data":"INVALID_SKIP"}"#,
        ),
    ]);
    let got: Vec<_> = client(&server.url)
        .get_accounts()
        .take(2)
        .stream()
        .collect()
        .await;
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(matches!(got[2], Err(Error::Api(_))), "{:?}", got[2]);
    assert_eq!(targets(&server).len(), 2);
}

// The v1 calls page through their envelope's `data` (`.stream()` on the `client.v1()`
// builders): `skip` set in `data`, one `POST` per page, the reply read as is (no envelope).

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

fn json(body: serde_json::Value) -> Reply {
    Reply::new(200, "application/json", &body.to_string())
}

fn v1_accounts(skip: u64, total: u64, names: &[&str]) -> Reply {
    let items: Vec<_> = names
        .iter()
        .map(|n| serde_json::json!({"accId": "00000000-0000-0000-0000-000000000000", "accName": n}))
        .collect();
    json(serde_json::json!({"total": total, "skip": skip, "take": 2, "accounts": items}))
}

#[tokio::test]
async fn v1_accounts_of_every_page_until_the_total() {
    let server = Server::start().await;
    server.script(vec![
        v1_accounts(0, 3, &["a", "b"]),
        v1_accounts(2, 3, &["c"]),
        v1_accounts(4, 3, &["x"]),
    ]);
    let item = sonoran_cms::types::GetAccountsV1Item::default()
        .take(2)
        .banned(false);
    let names: Vec<String> = client(&server.url)
        .v1()
        .get_accounts_v1(&[item])
        .stream()
        .map(|a| a.unwrap().acc_name.unwrap())
        .collect()
        .await;
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(
        v1_data(&server, "/general/get_accounts", "GET_ACCOUNTS"),
        [
            serde_json::json!([{"take": 2, "skip": 0, "banned": false}]),
            serde_json::json!([{"take": 2, "skip": 2, "banned": false}]),
        ]
    );
}

#[tokio::test]
async fn v1_accounts_that_repeat_another_skip_end_with_an_error_not_a_loop() {
    let server = Server::start().await;
    server.script(vec![v1_accounts(0, 10, &["a", "b"])]);
    let got: Vec<_> = client(&server.url)
        .v1()
        .get_accounts_v1(&[sonoran_cms::types::GetAccountsV1Item::default().take(2)])
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
async fn a_v1_roster_pages_its_rows_not_its_columns_from_the_skip_given() {
    let server = Server::start().await;
    let page = |skip: u64, rows: &[i64]| {
        let rows: Vec<_> = rows
            .iter()
            .map(|p| serde_json::json!({"uuid": "55555555-5555-5555-5555-555555555555", "sortPower": p}))
            .collect();
        json(
            serde_json::json!({"rows": rows, "total": 100, "skip": skip, "limit": 2, "columns": [{"field": "name"}]}),
        )
    };
    server.script(vec![page(4, &[1, 2]), page(6, &[3]), page(7, &[9])]);
    let data = sonoran_cms::types::GetRosterContentsV1Data::default()
        .roster_id(7)
        .limit(2)
        .skip(4);
    let powers: Vec<i64> = client(&server.url)
        .v1()
        .get_roster_contents_v1(&data)
        .stream()
        .map(|r| r.unwrap().sort_power.unwrap())
        .collect()
        .await;
    assert_eq!(
        powers,
        [1, 2, 3],
        "a short page ends (one column each page, not counted)"
    );
    assert_eq!(
        v1_data(&server, "/rosters/get", "GET_ROSTER_CONTENTS"),
        [
            serde_json::json!({"rosterId": 7, "limit": 2, "skip": 4}),
            serde_json::json!({"rosterId": 7, "limit": 2, "skip": 6}),
        ]
    );
}

#[tokio::test]
async fn v1_form_submissions_without_a_take_end_at_an_empty_page() {
    let server = Server::start().await;
    let page = |n: usize| {
        json(serde_json::Value::Array(vec![
            serde_json::json!({"a": 1});
            n
        ]))
    };
    server.script(vec![page(2), page(0), page(5)]);
    let item = sonoran_cms::types::GetFormTemplateSubmissionsV1Item::default().template_id(3);
    let got: Vec<_> = client(&server.url)
        .v1()
        .get_form_template_submissions_v1(&[item])
        .stream()
        .collect()
        .await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().all(|s| s.as_ref().unwrap()["a"] == 1));
    assert_eq!(
        v1_data(
            &server,
            "/forms/get_template_submissions",
            "GET_FORM_TEMPLATE_SUBMISSIONS"
        ),
        [
            serde_json::json!([{"templateId": 3, "skip": 0}]),
            serde_json::json!([{"templateId": 3, "skip": 2}]),
        ]
    );
}
