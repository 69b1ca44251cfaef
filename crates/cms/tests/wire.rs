//! sonoran-cms against a real HTTP server on loopback (`support/server.rs`, a scripted
//! server that records what it received). Each success reply is the documented example of
//! its operation, copied from its docs page (the merged document `openapi/sonoran-cms.openapi.json`
//! holds the same examples; `the_fixtures_are_the_documented_examples` checks that inside
//! the repository).

use sonoran_cms::runtime::VirtualClock;
use sonoran_cms::{Client, Error, Operation, RateLimitPolicy, RetryPolicy, V1ErrorCode, types};
use sonoran_fake::scripted::{Reply, Server};
use std::time::{Duration, SystemTime};

const ACCOUNT: &str = "00000000-0000-0000-0000-000000000000";

/// `getAccountRanks`, api-endpoints-v2/accounts/get-account-ranks.md.
const RANKS: &str = r#"{"success": true, "data": ["22222222-2222-2222-2222-222222222222", "33333333-3333-3333-3333-333333333333"], "meta": {"timestamp": "2026-04-15T00:00:00.000Z", "path": "/v2/community/accounts/00000000-0000-0000-0000-000000000000/ranks"}}"#;
/// `getAccounts`, api-endpoints-v2/accounts/get-accounts.md.
const ACCOUNTS: &str = r#"{"success": true, "data": {"items": [{"accId": "00000000-0000-0000-0000-000000000000", "uniqueId": 1001, "accName": "ExampleAccount", "comName": "Example Community", "activeApiIds": ["discord:1234567890"], "discordId": "1234567890", "sysStatus": true, "comStatus": true, "archived": false, "banned": false, "teamspeakId": null}], "total": 1, "skip": 0, "take": 25}, "meta": {"timestamp": "2026-04-15T00:00:00.000Z", "path": "/v2/community/accounts"}}"#;
/// `executeErlcCommand`, api-endpoints-v2/erlc/execute-command.md.
const ERLC: &str = r#"{"success": true, "data": "Successfully added command to queue", "meta": {"timestamp": "2026-04-15T00:00:00.000Z", "path": "/v2/community/erlc/commands"}}"#;
/// `GET_COM_ACCOUNT` (v1), api-endpoints/general/get-com-account.md.
const COM_ACCOUNT: &str = r#"{"accId": "67ceebae-ee63-43c1-a6a6-5234b2210abf", "comStatus": true, "accName": "Dawson G.", "comName": "Dawson G.", "primaryIdentifier": "1A-1", "secondaryIdentifiers": [], "primaryRank": "fc2c3825-df41-4485-ad9a-6c2ac900b4f4", "secondaryRanks": ["331d4ece-b582-4c9c-885b-7060341cf482"], "primaryDepartment": "00116ef0-9d22-491e-964c-1eb1b6ffd167", "secondaryDepartments": ["7dbedb0e-4df2-4405-b241-cb5dee253ab8"], "joinDate": "2022-02-22 20:28:40.000 -0800", "owner": true, "banned": false, "lastLogin": "2022-02-22 22:43:46.000 -0800", "activeApiIds": ["235947056630333440"], "profileFields": {"data": [{"id": "d9d1288e-3892-40d6-acc5-be2c3d294bd4", "value": ["some", "strings", "for", "array"]}]}}"#;

fn json(status: u16, body: &str) -> Reply {
    Reply::new(status, "application/json", body)
}

fn client(server: &Server) -> Client {
    Client::builder()
        .api_key("cms-key")
        .community_id("community-1")
        .base_url(&server.url)
        .build()
        .unwrap()
}

fn account() -> sonoran_cms::uuid::Uuid {
    ACCOUNT.parse().unwrap()
}

#[tokio::test]
async fn get_account_ranks_resolves_to_the_payload_and_sends_bearer_auth() {
    let server = Server::start().await;
    server.script(vec![json(200, RANKS)]);
    let client = client(&server);
    let ranks: types::GetAccountRanksData = client.get_account_ranks(account()).await.unwrap();
    assert_eq!(
        *ranks,
        [
            "22222222-2222-2222-2222-222222222222",
            "33333333-3333-3333-3333-333333333333"
        ]
    );
    let seen = server.take();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(
        seen[0].target,
        format!("/v2/community/accounts/{ACCOUNT}/ranks")
    );
    assert_eq!(seen[0].headers["authorization"], "Bearer cms-key");
    assert!(
        !seen[0].headers.contains_key("api-version"),
        "progenitor's api-version header is not sent"
    );
}

#[tokio::test]
async fn send_enveloped_gives_data_and_meta() {
    let server = Server::start().await;
    server.script(vec![json(200, RANKS)]);
    let client = client(&server);
    let reply = client
        .get_account_ranks(account())
        .send_enveloped()
        .await
        .unwrap();
    assert_eq!(reply.data.len(), 2);
    let meta = reply.meta.expect("the example has meta");
    assert_eq!(
        meta.path.as_deref(),
        Some("/v2/community/accounts/00000000-0000-0000-0000-000000000000/ranks")
    );
    assert_eq!(meta.timestamp.as_deref(), Some("2026-04-15T00:00:00.000Z"));
}

#[tokio::test]
async fn get_accounts_sends_its_page_and_reads_the_page() {
    let server = Server::start().await;
    server.script(vec![json(200, ACCOUNTS)]);
    let client = client(&server);
    let page = client
        .get_accounts()
        .skip(0)
        .take(25)
        .banned(false)
        .await
        .unwrap();
    assert_eq!(page.total, Some(1));
    assert_eq!(page.skip, Some(0));
    assert_eq!(page.take, Some(25));
    let items = page.items.expect("the example lists one account");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].acc_name.as_deref(), Some("ExampleAccount"));
    let seen = server.take();
    let (path, query) = seen[0].target.split_once('?').expect("a query");
    assert_eq!(path, "/v2/community/accounts");
    let pairs: std::collections::BTreeMap<&str, &str> =
        query.split('&').filter_map(|p| p.split_once('=')).collect();
    assert_eq!(pairs.len(), 3, "{query}");
    assert_eq!(pairs["banned"], "false");
    // The docs' tables say `number`; paging counts are whole, so they go out as integers.
    assert_eq!(pairs["skip"], "0");
    assert_eq!(pairs["take"], "25");
}

#[tokio::test]
async fn a_post_sends_its_json_body() {
    let server = Server::start().await;
    server.script(vec![json(200, ERLC)]);
    let client = client(&server);
    let said = client
        // The docs page's example request.
        .execute_erlc_command(types::ExecuteErlcCommandRequest::new(
            "Server restart in 10 minutes",
            "1234567890",
            false,
            "ABC123",
            "announce",
        ))
        .await
        .unwrap();
    assert_eq!(*said, "Successfully added command to queue");
    let seen = server.take();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].target, "/v2/community/erlc/commands");
    assert_eq!(seen[0].headers["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"robloxJoinCode":"ABC123","discordId":"1234567890","type":"announce","args":"Server restart in 10 minutes","includesPlayerNameOrId":false})
    );
}

#[tokio::test]
async fn a_v1_call_sends_the_envelope_and_reads_its_reply() {
    let server = Server::start().await;
    server.script(vec![json(200, COM_ACCOUNT)]);
    let client = client(&server);
    let item: types::GetComAccountV1Item = serde_json::from_value(
        serde_json::json!({ "accId": "67ceebae-ee63-43c1-a6a6-5234b2210abf" }),
    )
    .unwrap();
    let account = client.v1().get_com_account_v1(&[item]).await.unwrap();
    assert_eq!(account.acc_name.as_deref(), Some("Dawson G."));
    let seen = server.take();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].target, "/general/get_com_account");
    assert!(
        !seen[0].headers.contains_key("authorization"),
        "v1 carries the key in its body"
    );
    let body: serde_json::Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "id": "community-1",
            "key": "cms-key",
            "type": "GET_COM_ACCOUNT",
            "data": [{ "accId": "67ceebae-ee63-43c1-a6a6-5234b2210abf" }]
        })
    );
    // The documented plain-text error, with its code.
    server.script(vec![Reply::new(400, "text/plain", "INVALID API KEY")]);
    let err = client.v1().get_sub_version_v1().await.unwrap_err();
    assert_eq!(err.v1_code(), Some(V1ErrorCode::InvalidApiKey));
    assert_eq!(err.status(), Some(400));
}

#[tokio::test]
async fn success_false_is_an_api_error() {
    let server = Server::start().await;
    let client = client(&server);
    // Without `data` (the envelope's payload does not decode) and with it.
    for body in [
        r#"{"success": false, "message": "Account not found"}"#,
        r#"{"success": false, "data": ["22222222-2222-2222-2222-222222222222"]}"#,
    ] {
        server.script(vec![json(200, body)]);
        let err = client.get_account_ranks(account()).await.unwrap_err();
        let Error::Api(api) = &err else {
            panic!("{body}: expected Error::Api, got {err:?}");
        };
        assert_eq!(api.status, 200, "{body}");
        assert!(
            api.title.as_deref().unwrap().contains("success: false"),
            "{body}"
        );
        assert!(api.body.contains("false"), "{body}");
    }
    server.script(vec![json(
        200,
        r#"{"success": false, "message": "Account not found"}"#,
    )]);
    let Error::Api(api) = client.get_account_ranks(account()).await.unwrap_err() else {
        panic!("expected Error::Api");
    };
    assert_eq!(api.detail.as_deref(), Some("Account not found"));
}

#[tokio::test]
async fn a_reply_that_is_not_the_envelope_is_a_malformed_reply() {
    let server = Server::start().await;
    let client = client(&server);
    for body in [
        // The payload without its envelope.
        r#"["22222222-2222-2222-2222-222222222222"]"#,
        // An envelope without `success`.
        r#"{"data": ["22222222-2222-2222-2222-222222222222"]}"#,
        // A payload of the wrong shape.
        r#"{"success": true, "data": {"ranks": []}}"#,
        "not json",
    ] {
        server.script(vec![json(200, body)]);
        let err = client.get_account_ranks(account()).await.unwrap_err();
        assert!(
            matches!(&err, Error::MalformedReply { status: 200, body: b, .. } if b == body),
            "{body}: {err:?}"
        );
    }
}

#[tokio::test]
async fn problem_json_is_an_api_error_with_its_fields() {
    let server = Server::start().await;
    server.script(vec![Reply::new(
        404,
        "application/problem+json",
        r#"{"type": "about:blank", "title": "Not Found", "status": 404, "detail": "Account not found.", "instance": "/v2/community/accounts/00000000-0000-0000-0000-000000000000/ranks"}"#,
    )]);
    let client = client(&server);
    let err = client.get_account_ranks(account()).await.unwrap_err();
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(api.status, 404);
    assert_eq!(api.title.as_deref(), Some("Not Found"));
    assert_eq!(api.detail.as_deref(), Some("Account not found."));
    assert_eq!(api.code, None);
    assert!(!err.to_string().contains("cms-key"));
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_retries() {
    let server = Server::start().await;
    let mut limited = Reply::new(429, "application/json", "{}");
    limited.headers.push(("retry-after".into(), "0.3".into()));
    server.script(vec![limited.clone(), json(200, RANKS)]);
    let client = Client::builder()
        .api_key("cms-key")
        .base_url(&server.url)
        .retry(RetryPolicy {
            max_retries: 1,
            jitter: false,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);
    let ranks = client.get_account_ranks(account()).await.unwrap();
    assert_eq!(ranks.len(), 2);
    assert_eq!(
        clock.elapsed(),
        Duration::from_millis(300),
        "the retry waited for Retry-After: 0.3, on the virtual clock"
    );
    assert_eq!(server.take().len(), 2);

    // Retries exhausted: the typed error with the server's wait.
    server.script(vec![limited]);
    let err = client.get_account_ranks(account()).await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_millis(300)),
        "{err:?}"
    );
    assert_eq!(server.take().len(), 2, "one try and one retry");
}

#[tokio::test]
async fn calls_are_paced_to_the_limit_per_credential() {
    // The documented limits are CMS's own (get-account-ranks.md: 27 a minute).
    assert_eq!(sonoran_cms::RATE_LIMITS("getAccountRanks"), Some(27));
    assert_eq!(sonoran_cms::RATE_LIMITS("getAccounts"), Some(22));
    assert_eq!(sonoran_cms::RATE_LIMITS("getComAccountV1"), None);
    let server = Server::start().await;
    server.script(vec![json(200, RANKS)]);
    // One call per 400 ms window for this client's key.
    let client = Client::builder()
        .api_key("cms-key")
        .base_url(&server.url)
        .rate_limit(
            RateLimitPolicy::documented()
                .with_limit(Operation::GetAccountRanks, 1)
                .with_window(Duration::from_millis(400))
                .with_margin(Duration::ZERO),
        )
        .build()
        .unwrap();
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);
    client.get_account_ranks(account()).await.unwrap();
    assert_eq!(clock.elapsed(), Duration::ZERO, "the first call is free");
    clock.advance(Duration::from_millis(150));
    client.get_account_ranks(account()).await.unwrap();
    assert_eq!(
        clock.elapsed(),
        Duration::from_millis(400),
        "the second call left a window after the first reply"
    );
    // Another operation has its own window: not held by the first.
    server.script(vec![json(200, ACCOUNTS)]);
    client.get_accounts().await.unwrap();
    assert_eq!(
        clock.elapsed(),
        Duration::from_millis(400),
        "another operation is not held"
    );
    assert_eq!(server.take().len(), 3);
}

#[test]
fn the_fixtures_are_the_documented_examples() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../openapi/sonoran-cms.openapi.json"
    );
    // Outside the repository (the published package) the merged document is not there.
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let example = |path: &str, method: &str, ct: &str| {
        doc["paths"][path][method]["responses"]["200"]["content"][ct]["example"].clone()
    };
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    assert_eq!(
        example(
            "/v2/community/accounts/{accountId}/ranks",
            "get",
            "application/json"
        ),
        parse(RANKS)
    );
    assert_eq!(
        example("/v2/community/accounts", "get", "application/json"),
        parse(ACCOUNTS)
    );
    assert_eq!(
        example("/v2/community/erlc/commands", "post", "application/json"),
        parse(ERLC)
    );
    assert_eq!(
        example("/general/get_com_account", "post", "application/json"),
        parse(COM_ACCOUNT)
    );
}
