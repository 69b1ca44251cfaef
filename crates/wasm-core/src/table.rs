//! What the rows of the generated tables (`generated.rs`) are made of: an operation is
//! its method, path, parameters, body and success status (the reply kind is the JS side's,
//! in `operations.mjs`, which reads the replies); a schema is what the validator needs
//! of an OpenAPI schema. Rows refer to each other by small indices (a schema by its place
//! in `SCHEMAS`, a run of members by a [`Span`] of `FIELDS`), which keeps the tables a
//! fraction of the module's size.

/// A run of `len` entries of a table, from `start`.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub start: u16,
    pub len: u16,
}

impl Span {
    fn of<T>(self, table: &'static [T]) -> &'static [T] {
        let start = usize::from(self.start);
        table
            .get(start..start + usize::from(self.len))
            .unwrap_or(&[])
    }
}

/// The members a span of `FIELDS` holds.
pub(crate) fn fields(span: Span) -> &'static [Field] {
    span.of(crate::tables().fields)
}

/// The schemas a span of `LISTS` holds.
pub(crate) fn list(span: Span) -> &'static [u16] {
    span.of(crate::tables().lists)
}

/// The string enum values a span of `VALUES` holds.
pub(crate) fn values(span: Span) -> &'static [&'static str] {
    span.of(crate::tables().values)
}

/// One operation: a v2 REST call or a v1 envelope call.
#[derive(Debug)]
pub struct Operation {
    /// The operationId: what rate limits, errors and logs name.
    pub id: &'static str,
    pub method: &'static str,
    /// The path template, `{name}` for each path parameter.
    pub path: &'static str,
    pub params: &'static [Param],
    pub body: Body,
    /// The documented success status.
    pub success: u16,
}

/// A path or query parameter of a v2 call.
#[derive(Debug)]
pub struct Param {
    pub name: &'static str,
    /// In the path (else in the query).
    pub path: bool,
    pub schema: u16,
    pub required: bool,
    /// `serverId` in the path: the client's configured server when left out.
    pub server: bool,
}

#[derive(Debug)]
pub enum Body {
    None,
    /// A JSON request body, the `body` argument.
    Json {
        schema: u16,
        required: bool,
    },
    /// The v1 envelope `{id, key, type, data, ...extra}`.
    V1 {
        kind: &'static str,
        data: Data,
        /// Envelope fields besides `data`: the options argument.
        extra: Span,
        /// `data` (each item of it) has a `serverId`: filled with the configured server
        /// where the caller left it out (`sonoran_runtime::runtime::fill_server_id`).
        server_id: bool,
    },
}

/// A v1 envelope's `data`.
#[derive(Debug)]
pub enum Data {
    /// The envelope has no `data`.
    None,
    /// Always `[]`: the caller passes nothing.
    EmptyArray,
    /// The caller's first argument.
    Typed(u16),
}

/// A named member: an object field or a v1 envelope field.
#[derive(Debug)]
pub struct Field {
    /// Its name's index in `KEYS`.
    pub name: u16,
    pub schema: u16,
    pub required: bool,
}

impl Field {
    pub(crate) fn name(&self) -> &'static str {
        crate::tables()
            .keys
            .get(usize::from(self.name))
            .copied()
            .unwrap_or("")
    }
}

/// What an object accepts besides its listed fields.
#[derive(Debug)]
pub enum Extra {
    Deny,
    Any,
    Each(u16),
}

#[derive(Debug)]
pub enum Schema {
    Any,
    Bool,
    Str {
        /// `format: uuid`.
        uuid: bool,
        /// A closed enum when not empty.
        values: Span,
        min: Option<u32>,
        max: Option<u32>,
    },
    Int {
        min: Option<i64>,
        max: Option<i64>,
    },
    Num {
        min: Option<i64>,
        max: Option<i64>,
    },
    Array {
        items: u16,
        min: Option<u32>,
        max: Option<u32>,
    },
    Object {
        fields: Span,
        extra: Extra,
    },
    /// Valid when one of them is (`oneOf`, `anyOf`).
    OneOf(Span),
    /// Valid when all of them are.
    AllOf(Span),
    Nullable(u16),
}
