//! What the rows of the generated tables (`generated.rs`) are made of: an operation is
//! its method, path, parameters, body and reply kind; a schema is what the validator needs
//! of an OpenAPI schema, with references as indices into `SCHEMAS`.

/// One operation: a v2 REST call or a v1 envelope call.
#[derive(Debug)]
pub(crate) struct Operation {
    /// The operationId: what rate limits, errors and logs name.
    pub id: &'static str,
    pub method: &'static str,
    /// The path template, `{name}` for each path parameter.
    pub path: &'static str,
    pub params: &'static [Param],
    pub body: Body,
    pub reply: Reply,
    /// The documented success status.
    pub success: u16,
}

/// A path or query parameter of a v2 call.
#[derive(Debug)]
pub(crate) struct Param {
    pub name: &'static str,
    /// In the path (else in the query).
    pub path: bool,
    pub schema: u16,
    pub required: bool,
    /// `serverId` in the path: the client's configured server when left out.
    pub server: bool,
}

#[derive(Debug)]
pub(crate) enum Body {
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
        extra: &'static [Field],
    },
}

/// A v1 envelope's `data`.
#[derive(Debug)]
pub(crate) enum Data {
    /// The envelope has no `data`.
    None,
    /// Always `[]`: the caller passes nothing.
    EmptyArray,
    /// The caller's first argument.
    Typed(u16),
}

/// How the success body is read (on the JS side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    Json,
    Text,
    JsonOrText,
}

impl Reply {
    pub(crate) fn code(self) -> u8 {
        match self {
            Self::Json => 0,
            Self::Text => 1,
            Self::JsonOrText => 2,
        }
    }
}

/// A named member: an object field or a v1 envelope field.
#[derive(Debug)]
pub(crate) struct Field {
    pub name: &'static str,
    pub schema: u16,
    pub required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Any,
    Uuid,
}

/// What an object accepts besides its listed fields.
#[derive(Debug)]
pub(crate) enum Extra {
    Deny,
    Any,
    Each(u16),
}

#[derive(Debug)]
pub(crate) enum Schema {
    Any,
    Bool,
    Str {
        format: Format,
        /// A closed enum when not empty.
        values: &'static [&'static str],
        min: Option<u64>,
        max: Option<u64>,
    },
    Int {
        min: Option<f64>,
        max: Option<f64>,
    },
    Num {
        min: Option<f64>,
        max: Option<f64>,
    },
    Array {
        items: u16,
        min: Option<u64>,
        max: Option<u64>,
    },
    Object {
        fields: &'static [Field],
        extra: Extra,
    },
    /// Valid when one of them is (`oneOf`, `anyOf`).
    OneOf(&'static [u16]),
    /// Valid when all of them are.
    AllOf(&'static [u16]),
    Nullable(u16),
}
