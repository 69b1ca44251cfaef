//! The CMS push receiver (the runtime's receiver over CMS's events): every documented event's
//! example is accepted and typed at `/sonorancms/events`, and every refusal says why.

use http::{Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use sonoran_cms::ApiKey;
use sonoran_cms::events::{DOCUMENTED_TYPES, EVENT_PATH, PushEvent, PushReceiver};
use std::sync::{Arc, Mutex};

const KEY: &str = "cms-community-key";

fn receiver() -> (PushReceiver, Arc<Mutex<Vec<PushEvent>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let receiver = PushReceiver::new(ApiKey::new(KEY), move |event| {
        sink.lock().unwrap().push(event)
    });
    (receiver, seen)
}

async fn post(receiver: &PushReceiver, path: &str, body: &str) -> (StatusCode, String) {
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .body(body.to_string())
        .unwrap();
    let response = receiver.handle(request).await;
    let status = response.status();
    let text = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(text.to_vec()).unwrap())
}

/// The documented example of each event (the pages under push-events/ in the CMS docs, as
/// openapi/cms/events/accounts.yaml repairs them), written out here so that the test also
/// runs in the published package.
fn documented_examples() -> Vec<(String, Value)> {
    let account = "67ceebae-ee63-43c1-a6a6-5234b2210abf";
    vec![
        (
            "ACCOUNT_BANNED".into(),
            json!({ "discordId": "235947056630333440", "accountId": account }),
        ),
        (
            "ACCOUNT_KICKED".into(),
            json!({ "discordId": "235947056630333440", "accountId": account }),
        ),
        (
            "ACCOUNT_UPDATED".into(),
            json!({
                "discordId": "235947056630333440", "accId": account, "comStatus": true,
                "accName": "Dawson G.", "comName": "Dawson G.", "primaryIdentifier": "1A-1",
                "secondaryIdentifiers": [], "primaryRank": "fc2c3825-df41-4485-ad9a-6c2ac900b4f4",
                "secondaryRanks": ["331d4ece-b582-4c9c-885b-7060341cf482"],
                "primaryDepartment": "00116ef0-9d22-491e-964c-1eb1b6ffd167",
                "secondaryDepartments": ["7dbedb0e-4df2-4405-b241-cb5dee253ab8"],
                "joinDate": "2022-02-22 20:28:40.000 -0800", "owner": true, "banned": false,
                "lastLogin": "2022-02-22 22:43:46.000 -0800",
                "activeApiIds": ["235947056630333440"]
            }),
        ),
    ]
}

#[tokio::test]
async fn every_documented_event_is_accepted_and_typed_at_the_cms_path() {
    assert_eq!(EVENT_PATH, "/sonorancms/events");
    let (receiver, seen) = receiver();
    let examples = documented_examples();
    let types: Vec<&str> = examples.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, DOCUMENTED_TYPES, "every documented type, in order");
    for (type_, data) in &examples {
        let body = json!({ "key": KEY, "type": type_, "data": data }).to_string();
        let (status, text) = post(&receiver, EVENT_PATH, &body).await;
        assert_eq!(status, StatusCode::OK, "{type_}: {text}");
    }
    let seen = seen.lock().unwrap();
    let types: Vec<&str> = seen.iter().map(|e| e.type_name()).collect();
    let expected: Vec<&str> = examples.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, expected);
    assert!(
        seen.iter().all(|e| !matches!(e, PushEvent::Unknown { .. })),
        "every documented event decodes to its own variant: {seen:?}"
    );
}

#[tokio::test]
async fn refusals_say_why_and_never_echo_a_key() {
    let (receiver, seen) = receiver();
    let kicked = json!({ "discordId": "1", "accountId": "67ceebae-ee63-43c1-a6a6-5234b2210abf" });
    let forged = json!({ "key": "cms-community-kez", "type": "ACCOUNT_KICKED", "data": kicked });
    let (status, text) = post(&receiver, EVENT_PATH, &forged.to_string()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!text.contains("cms-community"), "{text}");

    let malformed = json!({ "key": KEY, "type": "ACCOUNT_KICKED", "data": { "discordId": 5 } });
    let (status, text) = post(&receiver, EVENT_PATH, &malformed.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        text.contains("ACCOUNT_KICKED") && text.contains("data.discordId"),
        "{text}"
    );

    let (status, _) = post(&receiver, "/sonorancad/event", &forged.to_string()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "CAD's path is not CMS's");
    let (status, text) = post(&receiver, EVENT_PATH, "{").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("not JSON"), "{text}");
    assert!(seen.lock().unwrap().is_empty());

    // A type the docs do not list still arrives, as sent.
    let other = json!({ "key": KEY, "type": "ACCOUNT_RENAMED", "data": { "x": 1 } });
    let (status, _) = post(&receiver, EVENT_PATH, &other.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    let seen = seen.lock().unwrap();
    assert!(
        matches!(&seen[..], [PushEvent::Unknown { type_, data }] if type_ == "ACCOUNT_RENAMED" && data == &json!({ "x": 1 }))
    );
}
