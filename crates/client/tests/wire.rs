//! Real requests over loopback: what the generated client puts on the wire for v2 calls,
//! and that it decodes the typed reply.

use sonoran_cad::{Client, types};
use sonoran_fake::scripted::{Reply, Seen, Server};

/// Serves one scripted reply and hands back the one request it received.
async fn serve_once(
    status: u16,
    content_type: &'static str,
    body: &'static str,
) -> (String, impl Future<Output = Seen>) {
    let server = Server::start().await;
    server.script(vec![Reply::new(status, content_type, body)]);
    let url = server.url.clone();
    (url, async move {
        let mut seen = server.take();
        assert_eq!(seen.len(), 1, "exactly one request");
        seen.remove(0)
    })
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
    let body = types::UpdateIdentifierRequest::default()
        .status(sonoran_cad::enums::UnitStatus::Available)
        .group("SUPERVISOR-1")
        .page(sonoran_cad::enums::UnitPage::Dispatch);

    let reply = client.update_identifier(account, 12, body).await.unwrap();
    let seen = seen.await;

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
        .get_calls()
        .closed_limit(std::num::NonZeroU64::new(5).unwrap())
        .await
        .unwrap();
    let seen = seen.await;
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
    seen.await;
    assert_eq!(err.status(), Some(401));
    match err {
        sonoran_cad::Error::Api(e) => {
            assert_eq!(e.title.as_deref(), Some("Unauthorized"));
            assert_eq!(e.detail.as_deref(), Some("Missing Authorization header."));
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// The operation of the newer-format page (its schema from the page's own `components`):
/// typed reply, documented pace of 10 per minute, bearer auth.
#[tokio::test]
async fn database_sync_configuration_is_typed_and_paced_at_ten_per_minute() {
    const BODY: &str =
        r#"{"enabled":true,"character":true,"licenses":false,"vehicleRegistrations":true}"#;
    let server = Server::start().await;
    server.script(vec![Reply::new(200, "application/json", BODY); 10]);
    let client = Client::builder()
        .api_key("sync-key")
        .base_url(&server.url)
        .max_queue(Some(std::time::Duration::ZERO))
        .build()
        .unwrap();
    for _ in 0..10 {
        let reply: types::DatabaseSyncConfiguration =
            client.get_database_sync_configuration().await.unwrap();
        assert!(reply.enabled && reply.character && !reply.licenses);
        assert!(reply.vehicle_registrations);
    }
    // The eleventh call in the same minute is held by the documented limit, not sent.
    let err = client.get_database_sync_configuration().await.unwrap_err();
    let sonoran_cad::Error::PacingRefused { wait, .. } = err else {
        panic!("expected the documented pace to hold the call, got {err:?}");
    };
    assert!(wait > std::time::Duration::from_secs(30), "{wait:?}");
    let seen = server.take();
    assert_eq!(seen.len(), 10, "the held call never reached the server");
    for s in &seen {
        assert_eq!(s.method, "GET");
        assert_eq!(s.target, "/v2/general/database-sync");
        assert_eq!(s.headers["authorization"], "Bearer sync-key");
    }
}

/// acknowledge-fivem-configuration.md: the revision in the path, no body, and the documented
/// 409 "stale revision" back as a typed problem.
#[tokio::test]
async fn a_stale_fivem_revision_acknowledgement_is_a_typed_409_problem() {
    let (url, seen) = serve_once(
        409,
        "application/problem+json",
        r#"{"status":409,"title":"Revision changed","detail":"Configuration changed after startup."}"#,
    )
    .await;
    let client = Client::builder()
        .api_key("k")
        .base_url(&url)
        .server_id(2)
        .build()
        .unwrap();
    let err = client.acknowledge_fivem_configuration(4).await.unwrap_err();
    let seen = seen.await;
    assert_eq!(seen.method, "POST");
    assert_eq!(
        seen.target,
        "/v2/fivem/servers/2/configuration/acknowledge/4"
    );
    assert_eq!(seen.body, "", "the page says there is no request body");
    assert_eq!(err.status(), Some(409));
    match err {
        sonoran_cad::Error::Api(e) => {
            assert_eq!(e.title.as_deref(), Some("Revision changed"));
            assert_eq!(
                e.detail.as_deref(),
                Some("Configuration changed after startup.")
            );
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// poll-actions.md: the cursor goes out as the `after` query parameter, and the reply's
/// `nextCursor` and events come back typed.
#[tokio::test]
async fn integration_panel_actions_are_polled_after_a_cursor() {
    let (url, seen) = serve_once(
        200,
        "application/json",
        r#"{"events":[{"cursor":43,"id":"11111111-1111-1111-1111-111111111111","panelKey":"doors","serverId":1,"instanceKey":"default","actionId":"door.set-locked","actorUuid":"22222222-2222-2222-2222-222222222222","actorName":"John Doe","values":{"doorId":"d1","locked":true},"createdAt":"2026-08-25T18:02:00Z","expiresAt":"2026-08-25T18:03:00Z"}],"nextCursor":43}"#,
    )
    .await;
    let client = Client::builder()
        .api_key("k")
        .base_url(&url)
        .build()
        .unwrap();
    let reply = client
        .poll_integration_panel_actions("doors")
        .after(42)
        .limit(std::num::NonZeroU64::new(10).unwrap())
        .await
        .unwrap();
    let seen = seen.await;
    assert_eq!(seen.method, "GET");
    assert_eq!(
        seen.target,
        "/v2/integration-panels/servers/1/panels/doors/actions?after=42&limit=10"
    );
    assert_eq!(reply.next_cursor, Some(43));
    let events = reply.events.unwrap();
    assert_eq!(events[0].cursor, Some(43));
    assert_eq!(events[0].action_id.as_deref(), Some("door.set-locked"));
    assert_eq!(events[0].values.as_ref().unwrap()["locked"], true);
}

/// delete-panel.md states `30 requests per minute`: the 31st call in a minute is held.
#[tokio::test]
async fn integration_panel_definition_calls_are_paced_at_thirty_per_minute() {
    const BODY: &str = r#"{"key":"doors","enabled":false}"#;
    let server = Server::start().await;
    server.script(vec![Reply::new(200, "application/json", BODY); 30]);
    let client = Client::builder()
        .api_key("k")
        .base_url(&server.url)
        .max_queue(Some(std::time::Duration::ZERO))
        .build()
        .unwrap();
    for _ in 0..30 {
        let reply = client.delete_integration_panel("doors").await.unwrap();
        assert_eq!(reply.enabled, Some(false));
    }
    let err = client.delete_integration_panel("doors").await.unwrap_err();
    assert!(
        matches!(err, sonoran_cad::Error::PacingRefused { .. }),
        "{err:?}"
    );
    assert_eq!(
        server.take().len(),
        30,
        "the held call never reached the server"
    );
}

#[test]
fn a_dispatch_call_priority_is_the_shared_enum_or_the_template_text() {
    use sonoran_cad::enums::DispatchPriority;
    let decode = |priority: serde_json::Value| {
        serde_json::from_value::<types::DispatchCall>(serde_json::json!({ "priority": priority }))
            .unwrap()
            .priority
    };
    assert_eq!(
        decode(serde_json::json!(2)),
        Some(types::DispatchPriorityOrText::DispatchPriority(
            DispatchPriority::Priority2
        ))
    );
    assert_eq!(
        decode(serde_json::json!(9)),
        Some(types::DispatchPriorityOrText::DispatchPriority(
            DispatchPriority::Other(9)
        ))
    );
    assert_eq!(
        decode(serde_json::json!("Immediate")),
        Some(types::DispatchPriorityOrText::String("Immediate".into()))
    );
}
