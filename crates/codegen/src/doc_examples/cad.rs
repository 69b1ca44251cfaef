//! Sonoran CAD's examples (doctests of `sonoran-cad`), keyed by v2 operationId or v1 `type`.

const MODIFY_ACCOUNT_PERMISSIONS: &str = r#"```rust,no_run
# async fn run(client: sonoran_cad::Client) -> Result<(), sonoran_cad::Error> {
use sonoran_cad::targets::AccountTargetOrUsername;
use sonoran_cad::types::{ModifyAccountPermissionsRequest, PermissionName};

let body = ModifyAccountPermissionsRequest::new(AccountTargetOrUsername::Discord(
    "123456789012345678".into(),
))
.add(vec![PermissionName::Police, PermissionName::Dispatch])
.remove(vec![PermissionName::Civilian]);
let account = client.modify_account_permissions(body).await?;
println!("{:?} now has {:?}", account.account_uuid, account.permissions);
# Ok(()) }
```"#;

const UPDATE_IDENTIFIER: &str = r#"```rust,no_run
# async fn run(client: sonoran_cad::Client) -> Result<(), Box<dyn std::error::Error>> {
use sonoran_cad::enums::{UnitPage, UnitStatus};
use sonoran_cad::types::UpdateIdentifierRequest;

let account: sonoran_cad::uuid::Uuid = "00000000-0000-0000-0000-000000000000".parse()?;
let change = UpdateIdentifierRequest::default()
    .status(UnitStatus::Available)
    .group("SUPERVISOR-1")
    .page(UnitPage::Dispatch);
let reply = client.update_identifier(account, 12, change).await?;
println!("{:?}", reply.identifier);
# Ok(()) }
```"#;

const SET_ACCOUNT_PERMISSIONS: &str = r#"```rust,no_run
# async fn run(client: sonoran_cad::Client) -> Result<(), sonoran_cad::Error> {
use sonoran_cad::types::{PermissionName, SetAccountPermissionsV1Item};

let change = SetAccountPermissionsV1Item::default()
    .api_id("STEAM:1234")
    .add(vec![PermissionName::Police])
    .remove(vec![PermissionName::Civilian]);
let text: String = client.v1().set_account_permissions_v1(&[change]).await?;
println!("{text}");
# Ok(()) }
```"#;

const MODIFY_IDENTIFIER: &str = r#"```rust,no_run
# async fn run(client: sonoran_cad::Client) -> Result<(), sonoran_cad::Error> {
use sonoran_cad::enums::{ModifyIdentifierActionV1, UnitStatus};
use sonoran_cad::types::{IdentifierDataV1, ModifyIdentifierV1Identifier, ModifyIdentifierV1Item};
use sonoran_cad::v1::JsonOrText;

let unit = IdentifierDataV1::default().unit_num("A-10").name("John Doe").department("LSPD");
let add = ModifyIdentifierV1Item::new(ModifyIdentifierActionV1::Add)
    .api_id("STEAM:1234")
    .identifier(ModifyIdentifierV1Identifier::default().status(UnitStatus::Available).data(unit));
match client.v1().modify_identifier_v1(&[add]).await? {
    JsonOrText::Json(identifiers) => println!("{identifiers:?}"),
    JsonOrText::Text(text) => println!("{text}"),
}
# Ok(()) }
```"#;

const EDIT_LICENSE: &str = r#"```rust,no_run
# async fn run(client: sonoran_cad::Client) -> Result<(), sonoran_cad::Error> {
use sonoran_cad::types::EditLicenseV1Item;

let license = EditLicenseV1Item::new(100).status("SUSPENDED").expiration("01/01/2030");
#[allow(deprecated)]
let edited = client.v1().edit_license_v1(&[license]).await?;
println!("{edited:?}");
# Ok(()) }
```"#;

/// The examples, by v2 operationId or v1 `type`.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("modifyAccountPermissions", MODIFY_ACCOUNT_PERMISSIONS),
    ("updateIdentifier", UPDATE_IDENTIFIER),
    ("SET_ACCOUNT_PERMISSIONS", SET_ACCOUNT_PERMISSIONS),
    ("MODIFY_IDENTIFIER", MODIFY_IDENTIFIER),
    ("EDIT_LICENSE", EDIT_LICENSE),
];
