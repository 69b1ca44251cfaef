//! Which operations paginate, and how, read from the document: the small description every
//! renderer of pagination (the Rust builders' `.stream()`, the npm packages' `iterate`) works
//! from. Nothing here is kept by hand per operation; the rules are:
//!
//! - **the page fields**: a v2 `GET`'s query parameters, or the properties of a v1 call's
//!   `data` (of its item, where `data` is an array of request objects: the v1 calls carry
//!   their paging inside the envelope's `data`);
//! - **offset pages**: a page-size field (`limit` or `take`) and an offset field (`offset` or
//!   `skip`), both integers;
//! - **cursor pages**: a v2 `GET` whose reply has a `nextCursor` property and one of whose
//!   query parameters says it takes the previous reply's `` `nextCursor` `` (its description);
//! - **the items**: the reply (its `data` where the reply is enveloped) when it is an array,
//!   else its one array property; where it has several, the one the page-size field names:
//!   in its description ("Maximum number of rows to return" pages `rows`, not `columns`) or
//!   in the placeholder the docs' example request gives it, which the import keeps in the
//!   operation's `x-repairs` (`limit: NUMBER_OF_ROWS_TO_FETCH`);
//! - **the end** (what the docs give): the reply's `total` (top-level or in `pagination`)
//!   where documented, a page shorter than the page size asked for (or its documented
//!   `default`), an empty page; for cursor pages a reply without a next cursor, or empty;
//! - **the echo**: where the reply repeats the page's offset (`skip`, `pagination.offset`),
//!   a page at another offset than the one asked for is an error, not a next page.

use crate::Error;
use crate::model::{Location, Model, Operation};
use serde_json::Value;

/// How an operation's pages are addressed.
#[derive(Debug, Clone, PartialEq)]
pub enum Style {
    /// `size` rows from `offset` on.
    Offset {
        /// The page-size query parameter (`limit`, `take`).
        size: String,
        /// The offset query parameter (`offset`, `skip`).
        offset: String,
        /// The page size the docs give as the parameter's default.
        default_size: Option<u64>,
    },
    /// The rows after a cursor.
    Cursor {
        /// The query parameter that takes the cursor (`after`).
        param: String,
        /// Its documented default (where the first page starts).
        start: i64,
        /// The reply property holding the next cursor (`nextCursor`).
        next: String,
    },
}

/// Where a v1 call's page fields sit in its `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data {
    /// `data` is an array of request objects: the fields of each.
    Array,
    /// `data` is one object: its fields.
    Object,
}

/// One paginated operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Paging {
    pub style: Style,
    /// `None`: the page fields are query parameters (v2); else where in the v1 `data`.
    pub data: Option<Data>,
    /// The payload property holding the page's items; `None` where the payload is the array.
    pub items: Option<String>,
    /// The property path of the documented total (`["total"]`, `["pagination", "total"]`).
    pub total: Option<Vec<String>>,
    /// The property path where the reply repeats the page's offset.
    pub echoed_offset: Option<Vec<String>>,
}

const SIZE_PARAMS: &[&str] = &["limit", "take"];
const OFFSET_PARAMS: &[&str] = &["offset", "skip"];
const NEXT_CURSOR: &str = "nextCursor";

/// `$ref`s followed to the schema (and `allOf` of one, as the merge writes a documented
/// default beside a `$ref`).
fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..16 {
        schema = sonoran_spec::resolve_ref(doc, schema);
        match schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            Some([one]) => schema = one,
            _ => return schema,
        }
    }
    schema
}

fn property<'a>(doc: &'a Value, schema: &'a Value, name: &str) -> Option<&'a Value> {
    schema
        .get("properties")
        .and_then(|p| p.get(name))
        .map(|s| resolve(doc, s))
}

fn is_type(schema: &Value, ty: &str) -> bool {
    schema.get("type").and_then(Value::as_str) == Some(ty)
}

/// The schema of what a call resolves to: the success reply's JSON, or its `data` where the
/// reply is enveloped.
fn payload<'a>(doc: &'a Value, op: &Operation<'a>) -> Option<&'a Value> {
    let reply = op.success()?;
    let schema = resolve(doc, reply.json_schema?);
    match reply.envelope {
        Some(key) => property(doc, schema, key),
        None => Some(schema),
    }
}

/// The path to an integer property `name`, top-level or in `pagination`.
fn integer_path(doc: &Value, payload: &Value, name: &str) -> Option<Vec<String>> {
    if property(doc, payload, name).is_some_and(|s| is_type(s, "integer")) {
        return Some(vec![name.to_string()]);
    }
    let pagination = property(doc, payload, "pagination")?;
    property(doc, pagination, name)
        .filter(|s| is_type(s, "integer"))
        .map(|_| vec!["pagination".to_string(), name.to_string()])
}

/// A field a page is addressed by: a v2 query parameter or a property of a v1 `data` item.
struct Field<'a> {
    name: &'a str,
    schema: &'a Value,
    description: Option<&'a str>,
}

/// The fields `op`'s pages could be addressed by, and where they sit (`None`: the query).
fn page_fields<'a>(doc: &'a Value, op: &Operation<'a>) -> Option<(Vec<Field<'a>>, Option<Data>)> {
    match op.kind {
        crate::model::Kind::V2 if op.method == "get" => Some((
            op.params
                .iter()
                .filter(|p| p.location == Location::Query)
                .map(|p| Field {
                    name: p.name,
                    schema: resolve(doc, p.schema),
                    description: p.description,
                })
                .collect(),
            None,
        )),
        crate::model::Kind::V2 => None,
        crate::model::Kind::V1 => {
            let data = property(doc, resolve(doc, op.json_body()?), "data")?;
            let (item, shape) = if is_type(data, "array") {
                (resolve(doc, data.get("items")?), Data::Array)
            } else {
                (data, Data::Object)
            };
            let fields = item
                .get("properties")
                .and_then(Value::as_object)?
                .iter()
                .map(|(name, schema)| Field {
                    name: name.as_str(),
                    description: schema
                        .get("description")
                        .or_else(|| resolve(doc, schema).get("description"))
                        .and_then(Value::as_str),
                    schema: resolve(doc, schema),
                })
                .collect();
            Some((fields, Some(shape)))
        }
    }
}

/// The placeholder the docs' example request gives `field`, as the import reports it in
/// `x-repairs` (`` `limit: NUMBER_OF_ROWS_TO_FETCH` (a placeholder, not a value) ``).
fn placeholder<'a>(op: &Operation<'a>, field: &str) -> Option<&'a str> {
    let prefix = format!("`{field}: ");
    op.raw
        .get("x-repairs")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .find_map(|r| {
            let at = r.find(&prefix)? + prefix.len();
            let rest = &r[at..];
            let value = &rest[..rest.find('`')?];
            rest[value.len()..]
                .starts_with("` (a placeholder")
                .then_some(value)
        })
}

/// How `op` paginates, or `None` when it does not. A paginated operation whose items the
/// rules above cannot find is an error naming it.
pub fn describe(doc: &Value, op: &Operation) -> Result<Option<Paging>, Error> {
    let Some((fields, data)) = page_fields(doc, op) else {
        return Ok(None);
    };
    let query = |names: &[&str]| {
        fields
            .iter()
            .find(|f| names.contains(&f.name) && is_type(f.schema, "integer"))
    };
    let Some(payload) = payload(doc, op) else {
        return Ok(None);
    };
    let cursor_param = fields.iter().find(|f| {
        data.is_none()
            && f.description
                .is_some_and(|d| d.contains(&format!("`{NEXT_CURSOR}`")))
    });
    let (style, size_param) = match (query(SIZE_PARAMS), query(OFFSET_PARAMS), cursor_param) {
        (Some(size), Some(offset), _) => (
            Style::Offset {
                size: size.name.to_string(),
                offset: offset.name.to_string(),
                default_size: size.schema.get("default").and_then(Value::as_u64),
            },
            Some(size),
        ),
        (size, None, Some(param)) if property(doc, payload, NEXT_CURSOR).is_some() => (
            Style::Cursor {
                param: param.name.to_string(),
                start: param
                    .schema
                    .get("default")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                next: NEXT_CURSOR.to_string(),
            },
            size,
        ),
        _ => return Ok(None),
    };
    let items = if is_type(payload, "array") {
        None
    } else {
        let arrays: Vec<&str> = payload
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(_, s)| is_type(resolve(doc, s), "array"))
            .map(|(name, _)| name.as_str())
            .collect();
        let names = |text: &str, name: &str| {
            text.split(|c: char| !c.is_alphanumeric())
                .any(|w| w.eq_ignore_ascii_case(name))
        };
        let named_by_size = |name: &&str| {
            size_param.is_some_and(|p| {
                p.description.is_some_and(|d| names(d, name))
                    || placeholder(op, p.name).is_some_and(|d| names(d, name))
            })
        };
        let chosen = match arrays.as_slice() {
            [one] => Some(*one),
            several => {
                let named: Vec<&str> = several.iter().copied().filter(named_by_size).collect();
                match named.as_slice() {
                    [one] => Some(*one),
                    _ => None,
                }
            }
        };
        match chosen {
            Some(name) => Some(name.to_string()),
            None => {
                return Err(Error(format!(
                    "`{}` paginates, but its reply has {} array properties ({}) and the page-size parameter's description names none of them alone: which one holds the items?",
                    op.id,
                    arrays.len(),
                    arrays.join(", ")
                )));
            }
        }
    };
    let (total, echoed_offset) = match &style {
        Style::Offset { offset, .. } => (
            integer_path(doc, payload, "total"),
            integer_path(doc, payload, offset),
        ),
        Style::Cursor { .. } => (None, None),
    };
    Ok(Some(Paging {
        style,
        data,
        items,
        total,
        echoed_offset,
    }))
}

/// The schema of one item of `op`'s pages (`items` of the array that holds them).
pub fn item_schema<'a>(doc: &'a Value, op: &Operation<'a>, paging: &Paging) -> Option<&'a Value> {
    let payload = payload(doc, op)?;
    let array = match &paging.items {
        None => payload,
        Some(name) => property(doc, payload, name)?,
    };
    array.get("items")
}

/// The row of `paging` in the npm packages' `PAGES` table: a JSON object that
/// `crates/wasm-core/js/core.mjs` (`iterate`) reads.
pub fn js_row(paging: &Paging) -> Value {
    let mut row = match &paging.style {
        Style::Offset {
            size,
            offset,
            default_size,
        } => serde_json::json!({"offset": offset, "size": size, "defaultSize": default_size}),
        Style::Cursor { param, start, next } => {
            serde_json::json!({"cursor": param, "start": start, "next": next})
        }
    };
    row["items"] = serde_json::json!(paging.items);
    match paging.data {
        None => {}
        Some(Data::Array) => row["data"] = serde_json::json!("array"),
        Some(Data::Object) => row["data"] = serde_json::json!("object"),
    }
    if let Some(total) = &paging.total {
        row["total"] = serde_json::json!(total);
    }
    if let Some(echo) = &paging.echoed_offset {
        row["echo"] = serde_json::json!(echo);
    }
    row
}

/// Every paginated operation of the document, by operationId.
pub fn all<'a>(model: &Model<'a>) -> Result<Vec<(&'a str, Paging)>, Error> {
    let mut out = Vec::new();
    for op in &model.operations {
        if let Some(p) = describe(model.doc, op)? {
            out.push((op.id, p));
        }
    }
    Ok(out)
}

/// progenitor's `types` structs by name, to read a reply's fields as the generated code has them.
pub(crate) struct Structs(std::collections::BTreeMap<String, syn::ItemStruct>);

impl Structs {
    pub(crate) fn parse(progenitor: &proc_macro2::TokenStream) -> Result<Self, Error> {
        let file: syn::File = syn::parse2(progenitor.clone())
            .map_err(|e| Error(format!("progenitor output does not parse: {e}")))?;
        let mut out = std::collections::BTreeMap::new();
        for item in &file.items {
            let syn::Item::Mod(m) = item else { continue };
            if m.ident != "types" {
                continue;
            }
            for item in m.content.iter().flat_map(|(_, items)| items) {
                if let syn::Item::Struct(st) = item {
                    out.insert(st.ident.to_string(), st.clone());
                }
            }
        }
        Ok(Self(out))
    }

    /// The field of struct `name` that the JSON property `json` is read into: its member
    /// and type (`None` as the name reads the newtype's `.0`).
    fn field(&self, name: &str, json: Option<&str>) -> Option<(syn::Member, syn::Type)> {
        let st = self.0.get(name)?;
        match (&st.fields, json) {
            (syn::Fields::Unnamed(f), None) if f.unnamed.len() == 1 => Some((
                syn::Member::Unnamed(syn::Index::from(0)),
                f.unnamed[0].ty.clone(),
            )),
            (syn::Fields::Named(f), Some(json)) => f
                .named
                .iter()
                .find(|field| {
                    serde_rename(field).as_deref() == Some(json)
                        || field.ident.as_ref().is_some_and(|i| {
                            *i == crate::names::snake_case(json) && serde_rename(field).is_none()
                        })
                })
                .map(|field| {
                    (
                        syn::Member::Named(field.ident.clone().expect("named")),
                        field.ty.clone(),
                    )
                }),
            _ => None,
        }
    }
}

/// `rename = "..."` of a field's `#[serde(..)]`.
fn serde_rename(field: &syn::Field) -> Option<String> {
    field
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .find_map(|a| {
            let mut found = None;
            let _ = a.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    found = Some(meta.value()?.parse::<syn::LitStr>()?.value());
                } else if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<syn::Expr>()?;
                }
                Ok(())
            });
            found
        })
}

fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// An expression of type `Option<leaf>` reading `path` from `reply` (a `payload`), and the leaf
/// type; `by_ref`: `Option<&leaf>`, leaving `reply` whole.
fn access(
    structs: &Structs,
    op: &str,
    payload: &syn::Type,
    path: &[Option<&str>],
    by_ref: bool,
) -> Result<(proc_macro2::TokenStream, syn::Type), Error> {
    use quote::quote;
    let mut expr = if by_ref {
        quote!(::std::option::Option::Some(&reply))
    } else {
        quote!(::std::option::Option::Some(reply))
    };
    let mut ty = payload.clone();
    for step in path {
        let name = type_name(&ty).unwrap_or_default();
        if step.is_none() && name == "Vec" {
            // The payload is the array itself (a v1 reply typed as a list).
            continue;
        }
        let (member, field_ty) = structs.field(&name, *step).ok_or_else(|| {
            Error(format!(
                "`{op}` paginates, but the generated `{name}` has no field for `{}`",
                step.unwrap_or("the array")
            ))
        })?;
        match crate::progenitor_methods::option_inner(&field_ty) {
            Some(inner) => {
                expr = if by_ref {
                    quote!(#expr.and_then(|v| v.#member.as_ref()))
                } else {
                    quote!(#expr.and_then(|v| v.#member))
                };
                ty = inner.clone();
            }
            None => {
                expr = if by_ref {
                    quote!(#expr.map(|v| &v.#member))
                } else {
                    quote!(#expr.map(|v| v.#member))
                };
                ty = field_ty;
            }
        }
    }
    Ok((expr, ty))
}

/// How a v1 builder keeps one page field of its `data`: the item's member, and whether it
/// is an `Option` (a field without a documented default).
fn data_member(
    structs: &Structs,
    op: &str,
    item: &syn::Type,
    json: &str,
) -> Result<(syn::Member, bool), Error> {
    let name = type_name(item).unwrap_or_default();
    let (member, ty) = structs.field(&name, Some(json)).ok_or_else(|| {
        Error(format!(
            "`{op}` paginates, but the generated `{name}` has no field for `{json}`"
        ))
    })?;
    Ok((
        member,
        crate::progenitor_methods::option_inner(&ty).is_some(),
    ))
}

/// The `.stream()` method of `op`'s request builder: `payload` is what the builder resolves
/// to (the reply, or its `data`); `data_item`, for a v1 call, the type of the `data` object
/// that carries the page fields (an item of `data` where it is an array, as
/// [`Paging::data`] says).
pub(crate) fn rust_stream(
    structs: &Structs,
    op: &str,
    paging: &Paging,
    payload: &syn::Type,
    data_item: Option<&syn::Type>,
) -> Result<proc_macro2::TokenStream, Error> {
    use quote::{format_ident, quote};
    let items_path: Vec<Option<&str>> = vec![paging.items.as_deref()];
    let (items, items_ty) = access(structs, op, payload, &items_path, false)?;
    let item = crate::progenitor_methods::last_segment_args(&items_ty, "Vec")
        .and_then(|args| match args.first()? {
            syn::GenericArgument::Type(t) => Some(crate::v2_requests::qualify(t)),
            _ => None,
        })
        .ok_or_else(|| Error(format!("`{op}`: the page's items are not a `Vec`")))?;
    let number = |path: &Option<Vec<String>>,
                  to: proc_macro2::TokenStream|
     -> Result<proc_macro2::TokenStream, Error> {
        match path {
            None => Ok(quote!(::std::option::Option::None)),
            Some(path) => {
                let steps: Vec<Option<&str>> = path.iter().map(|s| Some(s.as_str())).collect();
                let (expr, _) = access(structs, op, payload, &steps, true)?;
                Ok(quote!(#expr.and_then(|v| #to::try_from(*v).ok())))
            }
        }
    };
    let u64_ty = quote!(::std::primitive::u64);
    let total = number(&paging.total, u64_ty.clone())?;
    let echoed = number(&paging.echoed_offset, u64_ty.clone())?;
    let (start, size, set, next_cursor, end_doc) = match &paging.style {
        Style::Offset {
            size,
            offset,
            default_size,
        } => {
            let size_id = format_ident!("{}", crate::names::snake_case(size));
            let offset_id = format_ident!("{}", crate::names::snake_case(offset));
            let default = match default_size {
                Some(n) => quote!(::std::option::Option::Some(#n)),
                None => quote!(::std::option::Option::None),
            };
            let mut end = format!(
                " The pages end at an empty page or one shorter than `{size}` (its documented default {}",
                default_size.map_or("is not documented: an empty page ends".to_string(), |n| n
                    .to_string())
            );
            end.push(')');
            if let Some(total) = &paging.total {
                end.push_str(&format!(", or once `{}` items were read", total.join(".")));
            }
            let unaddressable = quote! {
                let ::sonoran_runtime::pages::Position::Offset(at) = at else {
                    return ::sonoran_runtime::pages::unaddressable(#op, at);
                };
                let ::std::option::Option::Some(value) = ::std::convert::TryFrom::try_from(at).ok() else {
                    return ::sonoran_runtime::pages::unaddressable(#op, ::sonoran_runtime::pages::Position::Offset(at));
                };
            };
            match (paging.data, data_item) {
                (None, _) => {
                    end.push_str(&format!(
                        "; each page starts at the `{offset}` after the last (from this builder's `{offset}`, 0 when unset)."
                    ));
                    (
                        quote!(::sonoran_runtime::pages::Position::Offset(
                            self.#offset_id.and_then(|v| #u64_ty::try_from(v).ok()).unwrap_or(0)
                        )),
                        quote!(self.#size_id.and_then(|v| #u64_ty::try_from(v).ok()).or(#default)),
                        quote! {
                            #unaddressable
                            request.#offset_id = ::std::option::Option::Some(value);
                        },
                        quote!(::std::option::Option::None),
                        end,
                    )
                }
                (Some(shape), Some(item)) => {
                    let (size_m, size_opt) = data_member(structs, op, item, size)?;
                    let (offset_m, offset_opt) = data_member(structs, op, item, offset)?;
                    let read = |m: &syn::Member, optional: bool| {
                        if optional {
                            quote!(item.#m.and_then(|v| #u64_ty::try_from(v).ok()))
                        } else {
                            quote!(#u64_ty::try_from(item.#m).ok())
                        }
                    };
                    let (read_size, read_offset) =
                        (read(&size_m, size_opt), read(&offset_m, offset_opt));
                    let assign = if offset_opt {
                        quote!(item.#offset_m = ::std::option::Option::Some(value);)
                    } else {
                        quote!(item.#offset_m = value;)
                    };
                    match shape {
                        Data::Array => {
                            end.push_str(&format!(
                                "; each page starts at the `{offset}` after the last (from the `{offset}` of `data`'s first item, 0 when unset), set on every item of `data` (`{size}` is read from the first). With `data` empty there is no page to ask for: the stream's one item is an error."
                            ));
                            (
                                quote!(::sonoran_runtime::pages::Position::Offset(
                                    self.data.first().and_then(|item| #read_offset).unwrap_or(0)
                                )),
                                quote!(self.data.first().and_then(|item| #read_size).or(#default)),
                                quote! {
                                    if request.data.is_empty() {
                                        return ::sonoran_runtime::pages::refused(#op, "`data` holds no request object to set the page's position in");
                                    }
                                    #unaddressable
                                    for item in &mut request.data {
                                        #assign
                                    }
                                },
                                quote!(::std::option::Option::None),
                                end,
                            )
                        }
                        Data::Object => {
                            end.push_str(&format!(
                                "; each page starts at the `{offset}` after the last (from `data`'s `{offset}`, 0 when unset)."
                            ));
                            (
                                quote!(::sonoran_runtime::pages::Position::Offset({
                                    let item = &self.data;
                                    #read_offset.unwrap_or(0)
                                })),
                                quote!({
                                    let item = &self.data;
                                    #read_size.or(#default)
                                }),
                                quote! {
                                    #unaddressable
                                    let item = &mut request.data;
                                    #assign
                                },
                                quote!(::std::option::Option::None),
                                end,
                            )
                        }
                    }
                }
                (Some(_), None) => {
                    return Err(Error(format!(
                        "`{op}` pages by fields of its v1 `data`, but its builder keeps no typed `data`"
                    )));
                }
            }
        }
        Style::Cursor { param, start, next } => {
            let param_id = format_ident!("{}", crate::names::snake_case(param));
            let (next_expr, _) = access(structs, op, payload, &[Some(next.as_str())], true)?;
            (
                quote!(::sonoran_runtime::pages::Position::Cursor(
                    self.#param_id.and_then(|v| ::std::primitive::i64::try_from(v).ok()).unwrap_or(#start)
                )),
                quote!(::std::option::Option::None),
                quote! {
                    let ::sonoran_runtime::pages::Position::Cursor(at) = at else {
                        return ::sonoran_runtime::pages::unaddressable(#op, at);
                    };
                    let ::std::option::Option::Some(cursor) = ::std::convert::TryFrom::try_from(at).ok() else {
                        return ::sonoran_runtime::pages::unaddressable(#op, ::sonoran_runtime::pages::Position::Cursor(at));
                    };
                    request.#param_id = ::std::option::Option::Some(cursor);
                },
                quote!(#next_expr.and_then(|v| ::std::primitive::i64::try_from(*v).ok())),
                format!(
                    " The pages end at an empty page or a reply without `{next}`; each page starts at the previous reply's `{next}` (the first at this builder's `{param}`, {start} when unset)."
                ),
            )
        }
    };
    let doc = [
        " Every item of every page, as a stream ([`crate::Pages`]): pages are asked".to_string(),
        " for one at a time, as the items are read, each one a call like [`Self::send`] (paced to"
            .to_string(),
        " the documented limit, retried, with this builder's timeout and headers).".to_string(),
        end_doc,
        " A page already asked for is never asked for again: a reply pointing back to one ends"
            .to_string(),
        " the stream with an error, as does the first failed page (its error is the last item)."
            .to_string(),
    ];
    Ok(quote! {
        #( #[doc = #doc] )*
        // The conversions are generic over how the builder keeps each number (`u64`, `i64`,
        // `NonZeroU64`): for some they are the identity; where the payload is the list
        // itself, reading its items is too.
        #[allow(
            clippy::useless_conversion,
            clippy::unnecessary_fallible_conversions,
            clippy::unnecessary_literal_unwrap
        )]
        pub fn stream(self) -> crate::Pages<#item> {
            let start = #start;
            let size = #size;
            ::sonoran_runtime::pages::Pages::new(#op, start, size, move |at| {
                let mut request = self.clone();
                #set
                ::std::boxed::Box::pin(async move {
                    let reply = request.send().await?;
                    ::std::result::Result::Ok(::sonoran_runtime::pages::Page {
                        total: #total,
                        offset: #echoed,
                        next_cursor: #next_cursor,
                        items: #items.unwrap_or_default(),
                    })
                })
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/v2/accounts": {"get": {
                    "operationId": "getAccounts",
                    "parameters": [
                        {"name": "limit", "in": "query", "description": "Maximum number of accounts returned.", "schema": {"type": "integer", "default": 100}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer", "default": 0}}
                    ],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accounts"}}}}}
                }},
                "/v2/rosters": {"get": {
                    "operationId": "getRoster",
                    "parameters": [
                        {"name": "limit", "in": "query", "description": "Maximum number of rows to return.", "schema": {"type": "integer"}},
                        {"name": "skip", "in": "query", "schema": {"type": "integer"}}
                    ],
                    "responses": {"200": {"description": "ok", "x-envelope": "data", "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {"success": {"type": "boolean"}, "data": {"type": "object", "properties": {
                            "rows": {"type": "array", "items": {}}, "columns": {"type": "array", "items": {}},
                            "total": {"type": "integer"}, "skip": {"type": "integer"}
                        }}}
                    }}}}}
                }},
                "/v2/units": {"get": {
                    "operationId": "getUnits",
                    "parameters": [
                        {"name": "take", "in": "query", "schema": {"type": "integer"}},
                        {"name": "skip", "in": "query", "schema": {"type": "integer"}}
                    ],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": {}}}}}}
                }},
                "/v2/actions": {"get": {
                    "operationId": "poll",
                    "parameters": [
                        {"name": "after", "in": "query", "description": "Pass the previous reply's `nextCursor`.", "schema": {"type": "integer", "default": 0}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer"}}
                    ],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": {
                        "events": {"type": "array", "items": {}}, "nextCursor": {"type": "integer"}
                    }}}}}}
                }},
                "/general/get_accounts": {"post": {
                    "operationId": "getAccountsV1", "x-v1-type": "GET_ACCOUNTS",
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                        "type": {"type": "string"},
                        "data": {"type": "array", "items": {"type": "object", "properties": {
                            "limit": {"type": "integer", "default": 100},
                            "offset": {"type": "integer", "default": 0}
                        }}}
                    }}}}},
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accounts"}}}}}
                }},
                "/rosters/get": {"post": {
                    "operationId": "getRosterContentsV1", "x-v1-type": "GET_ROSTER_CONTENTS",
                    "x-repairs": ["request example: `limit: NUMBER_OF_ROWS_TO_FETCH` (a placeholder, not a value) read as 0"],
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                        "data": {"type": "object", "properties": {
                            "skip": {"type": "integer"},
                            "limit": {"type": "integer", "description": "Max. Limit 50"}
                        }}
                    }}}}},
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": {
                        "rows": {"type": "array", "items": {}}, "columns": {"type": "array", "items": {}},
                        "total": {"type": "integer"}, "skip": {"type": "integer"}
                    }}}}}}
                }},
                "/general/lookup": {"post": {
                    "operationId": "lookupV1", "x-v1-type": "LOOKUP",
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                        "data": {"type": "array", "items": {"type": "object", "properties": {
                            "limit": {"type": "integer"}, "offset": {"type": "string"}
                        }}}
                    }}}}},
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": {}}}}}}
                }},
                "/v2/one": {"get": {
                    "operationId": "getOne",
                    "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": {}}}}}}
                }}
            },
            "components": {"schemas": {
                "Accounts": {"type": "object", "properties": {
                    "accounts": {"type": "array", "items": {}},
                    "pagination": {"$ref": "#/components/schemas/Pagination"}
                }},
                "Pagination": {"type": "object", "properties": {
                    "limit": {"type": "integer"}, "offset": {"type": "integer"}, "total": {"type": "integer"}
                }}
            }}
        })
    }

    fn paging(id: &str) -> Option<Paging> {
        let doc = doc();
        let model = Model::read(&doc).unwrap();
        all(&model)
            .unwrap()
            .into_iter()
            .find(|(op, _)| *op == id)
            .map(|(_, p)| p)
    }

    #[test]
    fn offset_pages_with_a_total_in_pagination_and_its_echoed_offset() {
        assert_eq!(
            paging("getAccounts").unwrap(),
            Paging {
                style: Style::Offset {
                    size: "limit".into(),
                    offset: "offset".into(),
                    default_size: Some(100)
                },
                data: None,
                items: Some("accounts".into()),
                total: Some(vec!["pagination".into(), "total".into()]),
                echoed_offset: Some(vec!["pagination".into(), "offset".into()]),
            }
        );
    }

    #[test]
    fn several_arrays_are_told_apart_by_the_page_size_description() {
        let p = paging("getRoster").unwrap();
        assert_eq!(p.items.as_deref(), Some("rows"));
        assert_eq!(p.total, Some(vec!["total".to_string()]));
        assert_eq!(p.echoed_offset, Some(vec!["skip".to_string()]));
    }

    #[test]
    fn a_top_level_array_is_the_page_and_has_no_total() {
        let p = paging("getUnits").unwrap();
        assert_eq!(p.items, None);
        assert_eq!(p.total, None);
    }

    #[test]
    fn cursor_pages_from_the_parameter_that_takes_next_cursor() {
        let p = paging("poll").unwrap();
        assert_eq!(
            p.style,
            Style::Cursor {
                param: "after".into(),
                start: 0,
                next: "nextCursor".into()
            }
        );
        assert_eq!(p.items.as_deref(), Some("events"));
    }

    #[test]
    fn v1_calls_page_by_the_fields_of_each_data_item() {
        assert_eq!(
            paging("getAccountsV1").unwrap(),
            Paging {
                style: Style::Offset {
                    size: "limit".into(),
                    offset: "offset".into(),
                    default_size: Some(100)
                },
                data: Some(Data::Array),
                items: Some("accounts".into()),
                total: Some(vec!["pagination".into(), "total".into()]),
                echoed_offset: Some(vec!["pagination".into(), "offset".into()]),
            }
        );
    }

    #[test]
    fn the_example_requests_placeholder_tells_a_v1_replys_arrays_apart() {
        let p = paging("getRosterContentsV1").unwrap();
        assert_eq!(p.data, Some(Data::Object));
        assert_eq!(p.items.as_deref(), Some("rows"));
        assert_eq!(p.total, Some(vec!["total".to_string()]));
        assert_eq!(p.echoed_offset, Some(vec!["skip".to_string()]));
        assert_eq!(js_row(&p)["data"], "object");
    }

    #[test]
    fn a_v1_offset_that_is_not_an_integer_does_not_paginate() {
        assert_eq!(paging("lookupV1"), None);
    }

    #[test]
    fn a_limit_without_an_offset_does_not_paginate() {
        assert_eq!(paging("getOne"), None);
    }

    #[test]
    fn ambiguous_items_are_an_error_naming_the_operation() {
        let mut doc = doc();
        doc["paths"]["/v2/rosters"]["get"]["parameters"][0]["description"] =
            json!("Rows and columns.");
        let model = Model::read(&doc).unwrap();
        let e = all(&model).unwrap_err().0;
        assert!(
            e.contains("`getRoster`") && e.contains("rows") && e.contains("columns"),
            "{e}"
        );
    }
}
