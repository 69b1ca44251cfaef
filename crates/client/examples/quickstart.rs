//! The five calls this project started from, typed end to end.
//!
//! ```text
//! cargo run -p sonoran-cad --example quickstart
//! ```
//!
//! With no environment it starts the fake Sonoran server (crate `sonoran-fake`) in-process
//! and runs against it. With `SONORAN_BASE_URL`, `SONORAN_API_KEY` and
//! `SONORAN_COMMUNITY_ID` set it runs against that server instead (careful: these calls
//! change permissions, an identifier and a license). Exits non-zero if any call fails.

use serde_json::json;
use sonoran_cad::{Client, Error, types};
use std::fmt::Debug;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let vars = [
        "SONORAN_BASE_URL",
        "SONORAN_API_KEY",
        "SONORAN_COMMUNITY_ID",
    ]
    .map(|v| std::env::var(v).ok());
    let (client, _fake) = match vars {
        [Some(url), Some(key), Some(community)] => {
            println!("running against {url}");
            (
                Client::builder()
                    .base_url(url)
                    .api_key(key)
                    .community_id(community)
                    .build(),
                None,
            )
        }
        [None, None, None] => {
            let fake = sonoran_fake::FakeServer::start().await;
            println!("running against the fake Sonoran server at {}", fake.url());
            let client = Client::builder()
                .base_url(fake.url())
                .api_key(fake.api_key())
                .community_id(fake.community_id())
                .build();
            (client, Some(fake))
        }
        _ => {
            eprintln!(
                "set all of SONORAN_BASE_URL, SONORAN_API_KEY and SONORAN_COMMUNITY_ID, or none of them"
            );
            return ExitCode::FAILURE;
        }
    };
    let client = match client {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot configure the client: {e}");
            return ExitCode::FAILURE;
        }
    };

    let mut failed = 0;
    let account: uuid::Uuid = "00000000-0000-0000-0000-000000000000"
        .parse()
        .expect("a valid UUID");

    // v2 PATCH /v2/general/accounts/permissions
    let permissions = types::ModifyAccountPermissionsRequest {
        community_user_id: Some("player-1234".into()),
        add: Some(vec![
            types::PermissionName::Police,
            types::PermissionName::Dispatch,
        ]),
        active: Some(true),
        ..Default::default()
    };
    report(
        "v2 modifyAccountPermissions",
        client.modify_account_permissions(&permissions).await,
        &mut failed,
    );

    // v2 PATCH /v2/emergency/accounts/{accountUuid}/identifiers/{identId}
    let update = types::UpdateIdentifierRequest {
        status: Some(sonoran_cad::enums::UnitStatus::Available),
        group: Some("SUPERVISOR-1".into()),
        page: Some(sonoran_cad::enums::UnitPage::Dispatch),
        ..Default::default()
    };
    report(
        "v2 updateIdentifier",
        client.update_identifier(&account, 12, &update).await,
        &mut failed,
    );

    // v1 POST /general/set_account_permissions (the client fills id, key and type)
    let set_permissions: Vec<types::SetAccountPermissionsV1Item> = from_json(json!([{
        "apiId": "STEAM:1234", "username": "SonoranBrian", "accId": "000-000-000", "active": true,
        "add": ["POLICE", "POLRECEDIT"], "remove": ["CIVILIAN"], "set": [], "join": true
    }]));
    report(
        "v1 setAccountPermissionsV1",
        client.set_account_permissions_v1(&set_permissions).await,
        &mut failed,
    );

    // v1 POST /emergency/modify_identifier (action 0 = ADD)
    let modify: Vec<types::ModifyIdentifierV1Item> = from_json(json!([{
        "apiId": "Steam:1234", "account": "000-000-000", "action": 0, "identId": 123,
        "identifier": {"status": 0, "location": "", "aop": "Los Santos", "data": {
            "unitNum": "A-10", "name": "John Doe", "district": "Los Santos", "department": "LSPD",
            "subdivision": "Patrol", "rank": "Officer", "group": "CAR-51", "communityUserId": "license:abc123"}}
    }]));
    report(
        "v1 modifyIdentifierV1",
        client.modify_identifier_v1(&modify).await,
        &mut failed,
    );

    // v1 POST /civilian EDIT_LICENSE (no longer in the docs; kept for old integrations)
    let license: Vec<types::EditLicenseV1Item> = from_json(json!([{
        "id": 100, "type": "Drivers", "status": "VALID", "expiration": "01/01/1900",
        "person": {"first": "John", "last": "Doe", "mi": "A", "dob": "01/01/1900", "age": "18", "sex": "M"}
    }]));
    #[allow(deprecated)]
    let edited = client.edit_license_v1(&license).await;
    report("v1 editLicenseV1", edited, &mut failed);

    if failed == 0 {
        println!("all 5 calls succeeded");
        ExitCode::SUCCESS
    } else {
        println!("{failed} of 5 calls failed");
        ExitCode::FAILURE
    }
}

fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("the example data matches the documented type")
}

fn report<T: Debug>(call: &str, result: Result<T, Error>, failed: &mut u32) {
    match result {
        Ok(reply) => println!("ok     {call}: {reply:?}"),
        Err(e) => {
            *failed += 1;
            println!("FAILED {call}: {e}");
        }
    }
}
