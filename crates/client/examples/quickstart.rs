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

use sonoran_cad::enums::{ModifyIdentifierActionV1, UnitPage, UnitStatus};
use sonoran_cad::types::{self, PermissionName};
use sonoran_cad::{Client, Error, targets::AccountTargetOrUsername};
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

    // v2 PATCH /v2/general/accounts/permissions: the target is one of the identifiers the
    // docs allow ("provide exactly one"), as an enum.
    let permissions = types::ModifyAccountPermissionsRequest::new(
        AccountTargetOrUsername::CommunityUserId("player-1234".into()),
    )
    .add(vec![PermissionName::Police, PermissionName::Dispatch])
    .active(true);
    report(
        "v2 modifyAccountPermissions",
        client.modify_account_permissions(permissions).await,
        &mut failed,
    );

    // v2 PATCH /v2/emergency/accounts/{accountUuid}/identifiers/{identId}
    let update = types::UpdateIdentifierRequest::default()
        .status(UnitStatus::Available)
        .group("SUPERVISOR-1")
        .page(UnitPage::Dispatch);
    report(
        "v2 updateIdentifier",
        client.update_identifier(account, 12, update).await,
        &mut failed,
    );

    // v1 POST /general/set_account_permissions (the client fills id, key and type)
    let set_permissions = types::SetAccountPermissionsV1Item::default()
        .api_id("STEAM:1234")
        .username("SonoranBrian")
        .acc_id("000-000-000")
        .active(true)
        .add(vec![PermissionName::Police, PermissionName::Polrecedit])
        .remove(vec![PermissionName::Civilian])
        .set(vec![])
        .join(true);
    report(
        "v1 SET_ACCOUNT_PERMISSIONS",
        client
            .v1()
            .set_account_permissions_v1(&[set_permissions])
            .await,
        &mut failed,
    );

    // v1 POST /emergency/modify_identifier: add an identifier
    let unit = types::IdentifierDataV1::default()
        .unit_num("A-10")
        .name("John Doe")
        .district("Los Santos")
        .department("LSPD")
        .subdivision("Patrol")
        .rank("Officer")
        .group("CAR-51")
        .community_user_id("license:abc123");
    let modify = types::ModifyIdentifierV1Item::new(ModifyIdentifierActionV1::Add)
        .api_id("Steam:1234")
        .account("000-000-000")
        .ident_id(123)
        .identifier(
            types::ModifyIdentifierV1Identifier::default()
                .status(UnitStatus::Unavailable)
                .location("")
                .aop("Los Santos")
                .data(unit),
        );
    report(
        "v1 MODIFY_IDENTIFIER",
        client.v1().modify_identifier_v1(&[modify]).await,
        &mut failed,
    );

    // v1 POST /civilian EDIT_LICENSE (no longer in the docs; kept for old integrations)
    let person = types::LicensePersonV1::default()
        .first("John")
        .last("Doe")
        .mi(types::LicensePersonV1Mi::try_from("A").expect("one letter"))
        .dob("01/01/1900")
        .age("18")
        .sex("M");
    let license = types::EditLicenseV1Item::new(100)
        .type_("Drivers")
        .status("VALID")
        .expiration("01/01/1900")
        .person(person);
    #[allow(deprecated)]
    let edited = client.v1().edit_license_v1(&[license]).await;
    report("v1 EDIT_LICENSE", edited, &mut failed);

    if failed == 0 {
        println!("all 5 calls succeeded");
        ExitCode::SUCCESS
    } else {
        println!("{failed} of 5 calls failed");
        ExitCode::FAILURE
    }
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
