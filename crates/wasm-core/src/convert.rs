//! A call's outcome for JavaScript: the reply object as the transport made it, or an
//! `Error` named `SonoranError` carrying `kind`, `status`, `code`, `title`, `detail`,
//! `traceId`, `retryAfter` (seconds), `requestId`, `body` and, for a transport failure,
//! `cause` (the platform's own error). The package's entry turns it into an instance of
//! its `SonoranError` class. Messages never hold the API key: request bodies and headers
//! are never copied into one.

use crate::table::{Body, Operation};
use sonoran_runtime::{TransportError, TransportKind, V1Code};
use wasm_bindgen::JsValue;

/// The runtime's error with the installed API's documented v1 error codes.
type Error = sonoran_runtime::Error<Code>;

/// A documented v1 error of the installed API ([`crate::Api::v1_codes`]), held as its exact
/// text; its `Debug` is the code's name (`InvalidApiKey`), what JS sees as `code`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Code(&'static str);

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (crate::api().v1_codes.name)(self.0, f)
    }
}

impl V1Code for Code {
    fn from_text(body: &str) -> Option<Self> {
        (crate::api().v1_codes.find)(body).map(Code)
    }

    fn text(self) -> &'static str {
        self.0
    }

    fn kind(self) -> Option<sonoran_runtime::ErrorKind> {
        (crate::api().v1_codes.kind)(self.0)
    }

    fn docs_url(operation_id: &str) -> Option<&'static str> {
        (crate::api().v1_codes.docs)(operation_id)
    }
}

fn sonoran_error(kind: &str, message: &str) -> js_sys::Error {
    let e = js_sys::Error::new(message);
    e.set_name("SonoranError");
    set(&e, "kind", &kind.into());
    e
}

fn set(target: &js_sys::Error, key: &str, value: &JsValue) {
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(target, &key.into(), value);
}

/// A failure of `kind` with `message`.
pub(crate) fn failure(kind: sonoran_runtime::ErrorKind, message: &str) -> JsValue {
    sonoran_error(kind.as_str(), message).into()
}

/// Whether `status` is a success of `op`: its documented status on v2, any 2xx on v1
/// (whose pages document 200 but whose server has no other success to send).
pub(crate) fn is_success(op: &Operation, status: u16) -> bool {
    let v1 = matches!(op.body, Body::V1 { .. });
    status == op.success || (v1 && (200..300).contains(&status))
}

/// The error a reply that is not a success of `op` stands for.
pub(crate) fn failure_of_reply(
    op: &Operation,
    name: &str,
    status: u16,
    retry_after: Option<&str>,
    text: &str,
) -> JsValue {
    let error = if (200..300).contains(&status) {
        Error::undocumented_success(status, op.success, text)
    } else {
        Error::from_reply(status, retry_after, text)
    };
    error_of(name, &error).into()
}

/// The error of an attempt that got no reply (`failure`: 1 no connection, 2 timeout,
/// 3 broken). The JS side adds the platform's error as `cause`.
pub(crate) fn no_reply(name: &str, failure: u8, message: &str) -> JsValue {
    let error = match failure {
        2 => Error::Timeout {
            operation: None,
            attempts: 0,
            elapsed: std::time::Duration::ZERO,
        },
        1 => Error::Transport(TransportError::new(TransportKind::Connect, message)),
        _ => Error::Transport(TransportError::new(TransportKind::Reset, message)),
    };
    error_of(name, &error).into()
}

/// A reply whose envelope says `success: false`.
pub(crate) fn unsuccessful(name: &str, status: u16, text: &str) -> JsValue {
    error_of(
        name,
        &Error::Api(sonoran_runtime::ApiError::unsuccessful(status, text)),
    )
    .into()
}

/// A reply longer than the client accepts.
pub(crate) fn too_large(name: &str, limit: u64) -> JsValue {
    let e = Error::ReplyTooLarge {
        limit,
        operation: None,
        attempts: 0,
    };
    error_of(name, &e).into()
}

fn error_of(name: &str, e: &Error) -> js_sys::Error {
    let js = sonoran_error(e.kind().as_str(), &format!("{name}: {e}"));
    if let Some(status) = e.status() {
        set(&js, "status", &status.into());
    }
    match e {
        Error::RateLimited {
            retry_after,
            request_id,
            ..
        } => {
            if let Some(wait) = retry_after {
                set(&js, "retryAfter", &wait.as_secs_f64().into());
            }
            if let Some(id) = request_id {
                set(&js, "requestId", &id.into());
            }
        }
        Error::Api(api) => {
            if let Some(code) = api.code {
                set(&js, "code", &format!("{code:?}").into());
            }
            for (key, value) in [
                ("title", &api.title),
                ("detail", &api.detail),
                ("traceId", &api.trace_id),
            ] {
                if let Some(v) = value {
                    set(&js, key, &v.into());
                }
            }
            set(&js, "body", &api.body.clone().into());
        }
        Error::MalformedReply { body, .. } => set(&js, "body", &body.into()),
        _ => {}
    }
    js
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{cad, cms, with_api};

    /// The code of a v1 reply `text` with status 400, as JS would see it, under `api`.
    fn code(api: &'static crate::Api, text: &str) -> Option<String> {
        with_api(api, || {
            Error::from_reply(400, None, text)
                .v1_code()
                .map(|c| format!("{c:?}"))
        })
    }

    #[test]
    fn v1_texts_map_to_the_installed_apis_codes() {
        assert_eq!(
            code(cad(), "INVALID API KEY").as_deref(),
            Some("InvalidApiKey")
        );
        assert_eq!(
            code(cms(), "INVALID API KEY\n").as_deref(),
            Some("InvalidApiKey")
        );
        // Each API's own texts: CAD's is no CMS error, CMS's no CAD error.
        assert_eq!(
            code(cad(), "API IS NOT ENABLED FOR THIS COMMUNITY").as_deref(),
            Some("ApiNotEnabled")
        );
        assert_eq!(code(cms(), "API IS NOT ENABLED FOR THIS COMMUNITY"), None);
        assert_eq!(
            code(cms(), "ROSTER NOT FOUND").as_deref(),
            Some("RosterNotFound")
        );
        assert_eq!(code(cad(), "ROSTER NOT FOUND"), None);
        // Not a documented text, and problem+json: no code.
        assert_eq!(code(cad(), "something else"), None);
        assert_eq!(code(cad(), r#"{"title":"INVALID API KEY"}"#), None);
    }

    #[test]
    fn the_message_names_the_code() {
        let message = with_api(cms(), || {
            Error::from_reply(404, None, "MEMBER NOT FOUND").to_string()
        });
        assert_eq!(
            message,
            "the Sonoran API answered 404 MemberNotFound: MEMBER NOT FOUND"
        );
    }

    /// The kinds `SonoranErrorKind` (js/core.d.ts, what JS users type against) lists.
    fn js_kinds() -> std::collections::BTreeSet<String> {
        let dts = include_str!("../js/core.d.ts");
        let start = dts
            .find("export type SonoranErrorKind =")
            .expect("core.d.ts declares SonoranErrorKind");
        let end = start + dts[start..].find(';').expect("the union ends with `;`");
        dts[start..end]
            .split('|')
            .skip(1)
            .map(|member| {
                let member = member.trim();
                assert!(
                    member.len() > 2 && member.starts_with('\'') && member.ends_with('\''),
                    "not a string literal in SonoranErrorKind: {member}"
                );
                member[1..member.len() - 1].to_string()
            })
            .collect()
    }

    #[test]
    fn the_rust_and_js_kinds_are_one_set() {
        let rust: std::collections::BTreeSet<String> = sonoran_runtime::ErrorKind::ALL
            .iter()
            .map(|k| k.as_str().to_string())
            .collect();
        assert_eq!(rust.len(), sonoran_runtime::ErrorKind::ALL.len());
        assert_eq!(rust, js_kinds());
        // And the JS source makes no kind the union does not list.
        let core = include_str!("../js/core.mjs");
        for (at, _) in core.match_indices("kind: '") {
            let rest = &core[at + 7..];
            let name = &rest[..rest.find('\'').unwrap()];
            assert!(rust.contains(name), "core.mjs makes kind `{name}`");
        }
    }

    /// The kind a reply of `status` with body `text` stands for under `api`, as JS sees it.
    fn kind(api: &'static crate::Api, status: u16, text: &str) -> &'static str {
        with_api(api, || {
            Error::from_reply(status, None, text).kind().as_str()
        })
    }

    #[test]
    fn documented_refusals_have_their_own_kinds() {
        // CAD's plan refusals (components/v1.yaml `x-error-kinds`).
        assert_eq!(
            kind(cad(), 400, "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY"),
            "planRefused"
        );
        assert_eq!(
            kind(cad(), 400, "API IS NOT ENABLED FOR THIS COMMUNITY\n"),
            "planRefused"
        );
        // The same text is no documented CMS error.
        assert_eq!(
            kind(cms(), 400, "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY"),
            "api"
        );
        assert_eq!(kind(cad(), 400, "INVALID API KEY"), "api");
        // A 403 by its status, v2 problem+json or not.
        let forbidden = r#"{"title":"Forbidden","status":403,"detail":"nope"}"#;
        assert_eq!(kind(cad(), 403, forbidden), "permissionDenied");
        assert_eq!(kind(cms(), 403, forbidden), "permissionDenied");
        assert_eq!(kind(cad(), 429, ""), "rateLimited");
        assert_eq!(kind(cad(), 404, "{}"), "api");
    }

    #[test]
    fn every_operation_links_its_docs_page() {
        // What the merged specs say: each operation's `x-docs-page` (some deprecated v1
        // calls have none: their page left the docs).
        for (api, spec) in [
            (
                cad(),
                include_str!("../../../openapi/sonoran-cad.openapi.json"),
            ),
            (
                cms(),
                include_str!("../../../openapi/sonoran-cms.openapi.json"),
            ),
        ] {
            let spec: serde_json::Value = serde_json::from_str(spec).unwrap();
            let mut pages = std::collections::BTreeMap::new();
            for item in spec["paths"].as_object().unwrap().values() {
                for op in item.as_object().unwrap().values() {
                    if let (Some(id), Some(page)) =
                        (op["operationId"].as_str(), op["x-docs-page"].as_str())
                    {
                        pages.entry(id.to_string()).or_insert(page.to_string());
                    }
                }
            }
            let mut linked = 0;
            with_api(api, || {
                for name in api.tables.names {
                    let url = (api.v1_codes.docs)(name);
                    match pages.get(*name) {
                        Some(page) => {
                            let url = url.unwrap_or_else(|| panic!("{name} has no docs link"));
                            let path = page.trim_end_matches(".md").trim_end_matches("/README");
                            assert!(
                                url.starts_with("https://") && url.ends_with(path),
                                "{name}: {url} is not {page}"
                            );
                            linked += 1;
                        }
                        None => assert_eq!(url, None, "{name}"),
                    }
                }
            });
            assert!(linked * 10 > api.tables.names.len() * 9, "{linked}");
        }
    }
}
