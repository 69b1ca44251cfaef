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
