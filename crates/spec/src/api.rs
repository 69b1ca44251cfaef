//! The per-API description: everything that differs between Sonoran's APIs (CAD, CMS; Radio
//! one day) as data. `crates/spec`, `crates/codegen` and `xtask` take an [`Api`] and hold no
//! API-specific name of their own; adding an API is one more constant here plus its docs
//! folder and its `openapi/<id>/` tree.

/// How an API's v2 replies carry their payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// The reply body is the payload itself (CAD).
    None,
    /// The reply body is `{success, data, meta}` and the payload is `data` (CMS v2).
    SuccessDataMeta,
}

impl Envelope {
    /// The extension on a success response whose body is an envelope: its value names the
    /// property that holds the payload (`x-envelope: data`), for generators that unwrap it.
    pub const MARK: &'static str = "x-envelope";
    /// The schema of the envelope's `meta`, added to the merged document's components.
    pub const META_SCHEMA: &'static str = "ReplyMeta";
    /// The schema of an error body (`application/problem+json`), added likewise.
    pub const PROBLEM_SCHEMA: &'static str = "Problem";

    /// The property of a reply body that holds the payload, when replies are enveloped.
    pub fn payload_key(&self) -> Option<&'static str> {
        match self {
            Envelope::None => None,
            Envelope::SuccessDataMeta => Some("data"),
        }
    }

    /// The reply body around `payload` (the schema an overlay gives a success reply), and the
    /// value of [`Envelope::MARK`]; `None` when replies are not enveloped.
    pub fn wrap(&self, payload: serde_json::Value) -> Option<(serde_json::Value, &'static str)> {
        match self {
            Envelope::None => None,
            Envelope::SuccessDataMeta => Some((
                serde_json::json!({
                    "type": "object",
                    "description": "The v2 success envelope; the payload is `data`.",
                    "required": ["success", "data"],
                    "properties": {
                        "success": { "type": "boolean", "description": "Always `true` on a 2xx reply." },
                        "data": payload,
                        "meta": { "$ref": format!("#/components/schemas/{}", Self::META_SCHEMA) },
                    },
                }),
                "data",
            )),
        }
    }

    /// The schemas the envelope's replies refer to (`ReplyMeta`, `Problem`), by name.
    pub fn schemas(&self) -> Vec<(&'static str, serde_json::Value)> {
        match self {
            Envelope::None => Vec::new(),
            Envelope::SuccessDataMeta => vec![
                (
                    Self::META_SCHEMA,
                    serde_json::json!({
                        "type": "object",
                        "description": "What every v2 reply carries besides its payload (api-endpoints-v2/README.md).",
                        "properties": {
                            "timestamp": { "type": "string", "format": "date-time", "description": "When the server answered." },
                            "path": { "type": "string", "description": "The request path." },
                        },
                    }),
                ),
                (
                    Self::PROBLEM_SCHEMA,
                    serde_json::json!({
                        "type": "object",
                        "description": "A failed v2 request (RFC 7807 `application/problem+json`, api-endpoints-v2/README.md). Every field is optional: the docs show no error body.",
                        "properties": {
                            "type": { "type": "string", "description": "A URI identifying the problem type." },
                            "title": { "type": "string", "description": "Short summary." },
                            "status": { "type": "integer", "description": "The HTTP status code." },
                            "detail": { "type": "string", "description": "Human-readable explanation." },
                            "instance": { "type": "string", "description": "The request path that failed." },
                        },
                    }),
                ),
            ],
        }
    }

    /// The error reply every enveloped operation gets when its overlay names none.
    pub fn error_response(&self) -> Option<serde_json::Value> {
        match self {
            Envelope::None => None,
            Envelope::SuccessDataMeta => Some(serde_json::json!({
                "description": "A failed request, as `application/problem+json` (api-endpoints-v2/README.md).",
                "content": { "application/problem+json": { "schema": {
                    "$ref": format!("#/components/schemas/{}", Self::PROBLEM_SCHEMA)
                } } }
            })),
        }
    }
}

/// One Sonoran API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Api {
    /// Short id, lower case: the folder under `openapi/` and the `--api` value of xtask.
    pub id: &'static str,
    /// The product's name as users know it.
    pub product: &'static str,
    /// The product's short name, as in "the CAD server".
    pub short_name: &'static str,
    /// The company, as generated docs name it ("no longer in the Sonoran docs"); also the
    /// prefix of a TypeScript type whose schema is named as a TypeScript global.
    pub vendor: &'static str,
    /// Where the public docs site serves this API's docs repository: a docs page's link is
    /// this, then [`Api::docs_repo_prefix`], then the page's path under `api-integration/`
    /// without `.md`.
    pub docs_site: &'static str,
    /// The folder of the docs repository that holds `api-integration/`, relative to the
    /// repository's root (empty when `api-integration/` is at the root), ending in `/`.
    pub docs_repo_prefix: &'static str,
    /// The production base URL.
    pub production_url: &'static str,
    /// The development-branch base URL, where the docs name one.
    pub staging_url: Option<&'static str>,
    /// How v2 replies carry their payload.
    pub envelope: Envelope,
    /// Whether `import-docs` imports the v1 envelope calls from the docs pages
    /// (`api-endpoints/` into `v1/`, machine-owned) or they are hand-owned files (CAD's).
    pub v1_imported: bool,
    /// The path push events are posted to on the community's server.
    pub push_path: &'static str,
    /// The client has a default server (CAD's `Client::builder().server_id(..)`, default 1)
    /// that a `serverId` left out of a call's path, body or v1 `data` goes to. Without it
    /// (CMS), `serverId` is what the docs say: required where they require it.
    pub server_id_default: bool,
    /// The Rust crate (and its folder under the repository root).
    pub crate_name: &'static str,
    pub crate_dir: &'static str,
    /// The npm package, the class it exports and the error class every rejection is.
    pub package_name: &'static str,
    pub js_class: &'static str,
    pub js_error_class: &'static str,
    /// The folder of the crate that builds the npm package (its `js/` and `tests/ts/`).
    pub npm_dir: &'static str,
}

/// Sonoran CAD.
pub const CAD: Api = Api {
    id: "cad",
    product: "Sonoran CAD",
    short_name: "CAD",
    vendor: "Sonoran",
    docs_site: "https://docs.sonoransoftware.com/cad/",
    docs_repo_prefix: "",
    production_url: "https://api.sonorancad.com",
    staging_url: Some("https://staging-api.dev.sonorancad.com"),
    envelope: Envelope::None,
    v1_imported: false,
    push_path: "/sonorancad/event",
    server_id_default: true,
    crate_name: "sonoran-cad",
    crate_dir: "crates/client",
    package_name: "sonoran-cad",
    js_class: "SonoranClient",
    js_error_class: "SonoranError",
    npm_dir: "crates/wasm",
};

/// Sonoran CMS.
pub const CMS: Api = Api {
    id: "cms",
    product: "Sonoran CMS",
    short_name: "CMS",
    vendor: "Sonoran",
    docs_site: "https://docs.sonoransoftware.com/cms/",
    docs_repo_prefix: "developer-api-documentation/",
    production_url: "https://api.sonorancms.com",
    staging_url: Some("https://staging-api.dev.sonorancms.com"),
    envelope: Envelope::SuccessDataMeta,
    v1_imported: true,
    push_path: "/sonorancms/events",
    server_id_default: false,
    crate_name: "sonoran-cms",
    crate_dir: "crates/cms",
    package_name: "sonoran-cms",
    js_class: "SonoranCms",
    js_error_class: "SonoranError",
    npm_dir: "crates/cms-wasm",
};

/// Every API this repository generates a client for.
pub const ALL: &[Api] = &[CAD, CMS];

impl Api {
    /// The API named `id` (`cad`, `cms`).
    pub fn by_id(id: &str) -> Option<Api> {
        ALL.iter().copied().find(|api| api.id == id)
    }

    /// The public docs link of a page given relative to `api-integration/`
    /// (`api-endpoints-v2/civilian/add-character-link.md`); a `#fragment` is kept.
    pub fn docs_link(&self, page: &str) -> String {
        let (path, fragment) = match page.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (page, None),
        };
        let path = path.strip_suffix(".md").unwrap_or(path);
        let path = path.strip_suffix("/README").unwrap_or(path);
        let mut link = format!(
            "{}{}api-integration/{}",
            self.docs_site, self.docs_repo_prefix, path
        );
        if let Some(fragment) = fragment {
            link.push('#');
            link.push_str(fragment);
        }
        link
    }

    /// The Rust crate's name in paths (`sonoran_cad`).
    pub fn lib_name(&self) -> String {
        self.crate_name.replace('-', "_")
    }

    /// The folder of this API's description, relative to the repository root.
    pub fn openapi_dir(&self) -> String {
        format!("openapi/{}", self.id)
    }

    /// The merged document, relative to the repository root.
    pub fn merged_path(&self) -> String {
        format!("openapi/{}.openapi.json", self.crate_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_links_keep_the_api_integration_segment() {
        assert_eq!(
            CAD.docs_link("api-endpoints-v2/civilian/add-character-link.md"),
            "https://docs.sonoransoftware.com/cad/api-integration/api-endpoints-v2/civilian/add-character-link"
        );
        assert_eq!(
            CMS.docs_link("api-endpoints-v2/accounts/get-account.md"),
            "https://docs.sonoransoftware.com/cms/developer-api-documentation/api-integration/api-endpoints-v2/accounts/get-account"
        );
        assert_eq!(
            CAD.docs_link("websocket-api/push-events.md#unit-status"),
            "https://docs.sonoransoftware.com/cad/api-integration/websocket-api/push-events#unit-status"
        );
        assert_eq!(
            CAD.docs_link("api-endpoints-v2/integration-panels/README.md"),
            "https://docs.sonoransoftware.com/cad/api-integration/api-endpoints-v2/integration-panels"
        );
    }

    #[test]
    fn lib_names_are_crate_names_in_paths() {
        assert_eq!(CAD.lib_name(), "sonoran_cad");
        assert_eq!(CMS.lib_name(), "sonoran_cms");
    }

    #[test]
    fn apis_are_found_by_id() {
        assert_eq!(Api::by_id("cms"), Some(CMS));
        assert_eq!(Api::by_id("radio"), None);
    }
}
