//! The multipart bodycam uploads on the wire, and their argument checks.

use sonoran_cad::bodycam::{BodycamClip, BodycamOwner};
use sonoran_cad::{Client, Error};
use sonoran_fake::scripted::{Reply, Server};

const STORED: &str = r#"["https://files.example.com/bodycam/community/unit/clip.webm"]"#;

fn clip() -> BodycamClip {
    let mut clip = BodycamClip::new(b"\x1a\x45\xdf\xa3webm-bytes".to_vec(), 15_000);
    clip.ident_id = Some(12);
    clip.unit_number = Some("1A-01".into());
    clip
}

#[tokio::test]
async fn v2_upload_is_multipart_with_bearer_auth() {
    let server = Server::start().await;
    server.script(vec![Reply::new(200, "application/json", STORED)]);
    let client = Client::builder()
        .api_key("k-1")
        .base_url(&server.url)
        .build()
        .unwrap();
    let urls = client
        .upload_bodycam_recording(BodycamOwner::CommunityUserId("player-1234".into()), clip())
        .await
        .unwrap();
    assert_eq!(
        urls,
        ["https://files.example.com/bodycam/community/unit/clip.webm"]
    );
    let seen = server.take().remove(0);
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.target, "/v2/general/bodycam-recordings");
    assert_eq!(seen.headers["authorization"], "Bearer k-1");
    assert!(seen.headers["content-type"].starts_with("multipart/form-data; boundary="));
    for field in [
        "name=\"file\"; filename=\"clip.webm\"",
        "name=\"durationMs\"\r\n\r\n15000",
        "name=\"identId\"\r\n\r\n12",
        "name=\"unitNumber\"\r\n\r\n1A-01",
        "name=\"communityUserId\"\r\n\r\nplayer-1234",
        "webm-bytes",
    ] {
        assert!(
            seen.body.contains(field),
            "missing {field:?} in {}",
            seen.body
        );
    }
}

#[tokio::test]
async fn v1_upload_carries_the_community_in_the_form_not_a_header() {
    let server = Server::start().await;
    server.script(vec![Reply::new(200, "application/json", STORED)]);
    let client = Client::builder()
        .community_id("c-9")
        .api_key("k-1")
        .base_url(&server.url)
        .build()
        .unwrap();
    let urls = client
        .v1()
        .upload_bodycam_recording_v1("acc-uuid", "sess-uuid", "SonoranBrian", clip())
        .await
        .unwrap();
    assert_eq!(urls.len(), 1);
    let seen = server.take().remove(0);
    assert_eq!(seen.target, "/upload");
    assert!(!seen.headers.contains_key("authorization"));
    for field in [
        "name=\"community\"\r\n\r\nc-9",
        "name=\"account\"\r\n\r\nacc-uuid",
        "name=\"sessionId\"\r\n\r\nsess-uuid",
        "name=\"username\"\r\n\r\nSonoranBrian",
        "name=\"type\"\r\n\r\nbodycam",
    ] {
        assert!(seen.body.contains(field), "missing {field:?}");
    }
}

#[tokio::test]
async fn documented_limits_are_checked_before_sending() {
    let server = Server::start().await;
    let client = Client::builder()
        .community_id("c")
        .api_key("k")
        .base_url(&server.url)
        .build()
        .unwrap();
    let owner = || BodycamOwner::Roblox(1);
    let mut long = clip();
    long.duration_ms = 120_001;
    let mut empty = clip();
    empty.file.clear();
    let mut huge = clip();
    huge.file = vec![0; 6_000_001];
    for (bad, field) in [(long, "durationMs"), (empty, "file"), (huge, "file")] {
        match client
            .upload_bodycam_recording(owner(), bad.clone())
            .await
            .unwrap_err()
        {
            Error::InvalidRequest(why) => assert!(why.contains(field), "{why}"),
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }
    assert!(server.take().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_problem_reply_to_an_upload_is_an_api_error() {
    let server = Server::start().await;
    server.script(vec![Reply::new(
        400,
        "application/problem+json",
        r#"{"title":"Bad Request","status":400,"detail":"Upload allowance exceeded."}"#,
    )]);
    let client = Client::builder()
        .api_key("k")
        .base_url(&server.url)
        .build()
        .unwrap();
    match client
        .upload_bodycam_recording(BodycamOwner::Discord("1".into()), clip())
        .await
        .unwrap_err()
    {
        Error::Api(e) => assert_eq!(e.detail.as_deref(), Some("Upload allowance exceeded.")),
        other => panic!("expected Api, got {other:?}"),
    }
}
