//! The public API of a published crate as text, one line per public item, sorted: what
//! `tests/public_api.rs` snapshots (insta), so every change to what users can name shows in
//! review. Read from rustdoc's JSON output, which stable `rustdoc` emits with
//! `RUSTC_BOOTSTRAP=1 ... -Z unstable-options --output-format json` (no nightly toolchain),
//! parsed with the `rustdoc-types` version of that format.
//!
//! A line is an item's kind, its path from the crate root (as users name it: the path of the
//! module it is reachable from, re-exports followed), and its signature: fields with their
//! types, variants with their shape, functions with their parameters and return type, trait
//! impls (`impl Trait for Type`, auto traits limited to `Send` and `Sync`), and attributes
//! that matter for compatibility (`#[non_exhaustive]`, `#[doc(hidden)]` items are left out by
//! rustdoc itself).

use anyhow::{Context, Result, bail};
use rustdoc_types::{
    Attribute, Crate, GenericArg, GenericArgs, GenericBound, GenericParamDefKind, Generics, Id,
    Item, ItemEnum, Path as RPath, StructKind, Term, Type, VariantKind, WherePredicate,
};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

/// The crates whose public API is snapshotted, with the features that show all of it.
pub const CRATES: &[(&str, &str)] = &[
    ("sonoran-runtime", "http,redis,push-receiver"),
    ("sonoran-cad", "redis,websocket,push-receiver"),
    ("sonoran-cms", "redis,push-receiver"),
    ("sonoran-fake", ""),
];

/// Runs rustdoc for `package` with `features` into `target_dir` and reads its JSON.
pub fn rustdoc_json(
    root: &Path,
    package: &str,
    features: &str,
    target_dir: &Path,
) -> Result<Crate> {
    let status = crate::cargo()
        .current_dir(root)
        .env("RUSTC_BOOTSTRAP", "1")
        .args([
            "rustdoc",
            "-q",
            "-p",
            package,
            "--lib",
            "--features",
            features,
            "--target-dir",
        ])
        .arg(target_dir)
        .args([
            "--",
            "-Z",
            "unstable-options",
            "--output-format",
            "json",
            "-A",
            "warnings",
        ])
        .status()
        .context("running cargo rustdoc")?;
    if !status.success() {
        bail!("cargo rustdoc -p {package} (JSON output) failed");
    }
    let file = target_dir
        .join("doc")
        .join(format!("{}.json", package.replace('-', "_")));
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let krate: Crate = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not rustdoc JSON of format {} (the rustdoc-types version must match the toolchain's format)",
            file.display(),
            rustdoc_types::FORMAT_VERSION
        )
    })?;
    Ok(krate)
}

/// The public API of `krate`, one line per item, sorted.
pub fn render(krate: &Crate) -> String {
    let root = &krate.index[&krate.root];
    let name = root.name.clone().unwrap_or_default();
    // First where users name each item (its shortest public path), then the lines, whose
    // signatures name types by those paths.
    let mut names = Walker {
        krate,
        lines: BTreeSet::new(),
        seen: HashSet::new(),
        public: HashMap::new(),
        collecting: true,
    };
    names.module(&krate.root, &name);
    let mut w = Walker {
        krate,
        lines: BTreeSet::new(),
        seen: HashSet::new(),
        public: names.public,
        collecting: false,
    };
    w.module(&krate.root, &name);
    let mut out = String::new();
    for line in &w.lines {
        out.push_str(line);
        out.push('\n');
    }
    out
}

struct Walker<'a> {
    krate: &'a Crate,
    lines: BTreeSet<String>,
    /// (item, path) pairs walked, so a module reachable twice under one path is walked once.
    seen: HashSet<(Id, String)>,
    /// Each item's public path: the shortest (then first in order) users can name it by.
    public: HashMap<Id, String>,
    /// The first pass: record paths only.
    collecting: bool,
}

impl<'a> Walker<'a> {
    fn item(&self, id: &Id) -> Option<&'a Item> {
        self.krate.index.get(id)
    }

    fn module(&mut self, id: &Id, path: &str) {
        if !self.seen.insert((*id, path.to_string())) {
            return;
        }
        let Some(item) = self.item(id) else { return };
        let ItemEnum::Module(module) = &item.inner else {
            return;
        };
        for child in &module.items {
            let Some(child_item) = self.item(child) else {
                continue;
            };
            match &child_item.inner {
                ItemEnum::Use(u) => self.reexport(u, path),
                _ => {
                    let name = child_item.name.clone().unwrap_or_default();
                    self.named(child, &format!("{path}::{name}"));
                }
            }
        }
    }

    fn reexport(&mut self, u: &rustdoc_types::Use, path: &str) {
        let target = u.id.as_ref().and_then(|id| self.item(id).map(|i| (id, i)));
        match (u.is_glob, target) {
            (true, Some((id, item))) if matches!(item.inner, ItemEnum::Module(_)) => {
                self.module(id, path)
            }
            (true, Some((_, item))) => {
                // A glob over an enum's variants.
                if let ItemEnum::Enum(e) = &item.inner {
                    for v in &e.variants {
                        if let Some(name) = self.item(v).and_then(|i| i.name.clone()) {
                            self.named(v, &format!("{path}::{name}"));
                        }
                    }
                }
            }
            (true, None) => {
                self.lines
                    .insert(format!("pub use {path}::* (from {})", u.source));
            }
            (false, Some((id, _))) => self.named(id, &format!("{path}::{}", u.name)),
            (false, None) => {
                if let Some(id) = &u.id {
                    self.record(id, &format!("{path}::{}", u.name));
                }
                self.lines
                    .insert(format!("pub use {path}::{} = {}", u.name, u.source));
            }
        }
    }

    fn record(&mut self, id: &Id, path: &str) {
        if !self.collecting {
            return;
        }
        let better = match self.public.get(id) {
            None => true,
            Some(old) => {
                (path.matches("::").count(), path) < (old.matches("::").count(), old.as_str())
            }
        };
        if better {
            self.public.insert(*id, path.to_string());
        }
    }

    fn named(&mut self, id: &Id, path: &str) {
        let Some(item) = self.item(id) else { return };
        self.record(id, path);
        let attrs = attributes(item);
        match &item.inner {
            ItemEnum::Module(_) => {
                self.lines.insert(format!("pub mod {path}"));
                self.module(id, path);
            }
            ItemEnum::Struct(s) => {
                let generics = self.generics(&s.generics);
                let wh = self.where_clause(&s.generics);
                let shape = match &s.kind {
                    StructKind::Unit => ";".to_string(),
                    StructKind::Tuple(fields) => format!(
                        "({})",
                        fields
                            .iter()
                            .map(|f| match f.as_ref().and_then(|f| self.item(f)) {
                                Some(Item {
                                    inner: ItemEnum::StructField(t),
                                    ..
                                }) => self.ty(t),
                                _ => "_".to_string(),
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    StructKind::Plain {
                        fields,
                        has_stripped_fields,
                    } => {
                        self.fields(fields, path);
                        if *has_stripped_fields {
                            " { .. }".to_string()
                        } else {
                            String::new()
                        }
                    }
                };
                self.lines
                    .insert(format!("{attrs}pub struct {path}{generics}{shape}{wh}"));
                self.impls(&s.impls, path);
            }
            ItemEnum::Union(u) => {
                self.lines.insert(format!("{attrs}pub union {path}"));
                self.fields(&u.fields, path);
                self.impls(&u.impls, path);
            }
            ItemEnum::Enum(e) => {
                let generics = self.generics(&e.generics);
                self.lines
                    .insert(format!("{attrs}pub enum {path}{generics}"));
                for v in &e.variants {
                    let Some(vi) = self.item(v) else { continue };
                    let ItemEnum::Variant(variant) = &vi.inner else {
                        continue;
                    };
                    let vname = vi.name.clone().unwrap_or_default();
                    let vattrs = attributes(vi);
                    let shape = match &variant.kind {
                        VariantKind::Plain => String::new(),
                        VariantKind::Tuple(fields) => format!(
                            "({})",
                            fields
                                .iter()
                                .map(|f| match f.as_ref().and_then(|f| self.item(f)) {
                                    Some(Item {
                                        inner: ItemEnum::StructField(t),
                                        ..
                                    }) => self.ty(t),
                                    _ => "_".to_string(),
                                })
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        VariantKind::Struct {
                            fields,
                            has_stripped_fields,
                        } => {
                            let list = fields
                                .iter()
                                .filter_map(|f| self.item(f))
                                .filter_map(|f| match &f.inner {
                                    ItemEnum::StructField(t) => Some(format!(
                                        "{}: {}",
                                        f.name.clone().unwrap_or_default(),
                                        self.ty(t)
                                    )),
                                    _ => None,
                                })
                                .collect::<Vec<_>>()
                                .join(", ");
                            if *has_stripped_fields {
                                format!(" {{ {list}, .. }}")
                            } else {
                                format!(" {{ {list} }}")
                            }
                        }
                    };
                    self.lines
                        .insert(format!("{vattrs}pub variant {path}::{vname}{shape}"));
                }
                self.impls(&e.impls, path);
            }
            ItemEnum::Function(f) => {
                let line = self.function(f, path);
                self.lines.insert(format!("{attrs}{line}"));
            }
            ItemEnum::Trait(t) => {
                let generics = self.generics(&t.generics);
                let bounds = if t.bounds.is_empty() {
                    String::new()
                } else {
                    format!(": {}", self.bounds(&t.bounds))
                };
                let unsafety = if t.is_unsafe { "unsafe " } else { "" };
                self.lines.insert(format!(
                    "{attrs}pub {unsafety}trait {path}{generics}{bounds}"
                ));
                for member in &t.items {
                    self.assoc(member, path, "trait ");
                }
            }
            ItemEnum::TypeAlias(t) => {
                let generics = self.generics(&t.generics);
                self.lines.insert(format!(
                    "{attrs}pub type {path}{generics} = {}",
                    self.ty(&t.type_)
                ));
            }
            ItemEnum::Constant { type_, .. } => {
                self.lines
                    .insert(format!("{attrs}pub const {path}: {}", self.ty(type_)));
            }
            ItemEnum::Static(s) => {
                self.lines
                    .insert(format!("{attrs}pub static {path}: {}", self.ty(&s.type_)));
            }
            ItemEnum::Macro(_) => {
                self.lines.insert(format!("pub macro {path}!"));
            }
            ItemEnum::TraitAlias(_) => {
                self.lines.insert(format!("pub trait alias {path}"));
            }
            ItemEnum::ProcMacro(_) => {
                self.lines.insert(format!("pub proc macro {path}"));
            }
            ItemEnum::ExternCrate { name, .. } => {
                self.lines
                    .insert(format!("pub extern crate {path} = {name}"));
            }
            ItemEnum::Use(u) => {
                let parent = path.rsplit_once("::").map_or(path, |(p, _)| p).to_string();
                self.reexport(u, &parent);
            }
            _ => {}
        }
    }

    fn fields(&mut self, fields: &[Id], path: &str) {
        for f in fields {
            let Some(fi) = self.item(f) else { continue };
            if let ItemEnum::StructField(t) = &fi.inner {
                let line = format!(
                    "pub field {path}::{}: {}",
                    fi.name.clone().unwrap_or_default(),
                    self.ty(t)
                );
                self.lines.insert(line);
            }
        }
    }

    fn impls(&mut self, impls: &[Id], path: &str) {
        for id in impls {
            let Some(item) = self.item(id) else { continue };
            let ItemEnum::Impl(imp) = &item.inner else {
                continue;
            };
            if imp.blanket_impl.is_some() {
                continue;
            }
            match &imp.trait_ {
                None => {
                    for member in &imp.items {
                        self.assoc(member, path, "");
                    }
                }
                Some(trait_) => {
                    let name = trait_.path.rsplit("::").next().unwrap_or(&trait_.path);
                    if imp.is_synthetic && !matches!(name, "Send" | "Sync") {
                        continue;
                    }
                    let neg = if imp.is_negative { "!" } else { "" };
                    let generics = self.generics(&imp.generics);
                    let wh = self.where_clause(&imp.generics);
                    self.lines.insert(format!(
                        "impl{generics} {neg}{} for {}{wh}",
                        self.path_ty(trait_),
                        self.ty(&imp.for_)
                    ));
                }
            }
        }
    }

    /// A method, associated const or type of an inherent impl or a trait.
    fn assoc(&mut self, id: &Id, path: &str, prefix: &str) {
        let Some(item) = self.item(id) else { return };
        let name = item.name.clone().unwrap_or_default();
        let attrs = attributes(item);
        let line = match &item.inner {
            ItemEnum::Function(f) => self.function(f, &format!("{path}::{name}")),
            ItemEnum::AssocConst { type_, .. } => {
                format!("pub const {path}::{name}: {}", self.ty(type_))
            }
            ItemEnum::AssocType { bounds, type_, .. } => match type_ {
                Some(t) => format!("pub type {path}::{name} = {}", self.ty(t)),
                None if bounds.is_empty() => format!("pub type {path}::{name}"),
                None => format!("pub type {path}::{name}: {}", self.bounds(bounds)),
            },
            _ => return,
        };
        self.lines.insert(format!("{attrs}{prefix}{line}"));
    }

    fn function(&self, f: &rustdoc_types::Function, path: &str) -> String {
        let mut quals = String::new();
        if f.header.is_const {
            quals.push_str("const ");
        }
        if f.header.is_async {
            quals.push_str("async ");
        }
        if f.header.is_unsafe {
            quals.push_str("unsafe ");
        }
        let params = f
            .sig
            .inputs
            .iter()
            .map(|(name, t)| match (name.as_str(), t) {
                ("self", Type::Generic(g)) if g == "Self" => "self".to_string(),
                (
                    "self",
                    Type::BorrowedRef {
                        is_mutable, type_, ..
                    },
                ) if matches!(type_.as_ref(), Type::Generic(g) if g == "Self") => {
                    if *is_mutable { "&mut self" } else { "&self" }.to_string()
                }
                _ => format!("{name}: {}", self.ty(t)),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let output = f
            .sig
            .output
            .as_ref()
            .map(|t| format!(" -> {}", self.ty(t)))
            .unwrap_or_default();
        let generics = self.generics(&f.generics);
        let wh = self.where_clause(&f.generics);
        format!("pub {quals}fn {path}{generics}({params}){output}{wh}")
    }

    fn generics(&self, g: &Generics) -> String {
        let params: Vec<String> = g
            .params
            .iter()
            .filter_map(|p| match &p.kind {
                GenericParamDefKind::Lifetime { outlives } if outlives.is_empty() => {
                    Some(p.name.clone())
                }
                GenericParamDefKind::Lifetime { outlives } => {
                    Some(format!("{}: {}", p.name, outlives.join(" + ")))
                }
                GenericParamDefKind::Type {
                    is_synthetic: true, ..
                } => None,
                GenericParamDefKind::Type {
                    bounds, default, ..
                } => {
                    let mut s = p.name.clone();
                    if !bounds.is_empty() {
                        s.push_str(&format!(": {}", self.bounds(bounds)));
                    }
                    if let Some(d) = default {
                        s.push_str(&format!(" = {}", self.ty(d)));
                    }
                    Some(s)
                }
                GenericParamDefKind::Const { type_, .. } => {
                    Some(format!("const {}: {}", p.name, self.ty(type_)))
                }
            })
            .collect();
        if params.is_empty() {
            String::new()
        } else {
            format!("<{}>", params.join(", "))
        }
    }

    fn where_clause(&self, g: &Generics) -> String {
        let preds: Vec<String> = g
            .where_predicates
            .iter()
            .map(|p| match p {
                WherePredicate::BoundPredicate { type_, bounds, .. } => {
                    format!("{}: {}", self.ty(type_), self.bounds(bounds))
                }
                WherePredicate::LifetimePredicate { lifetime, outlives } => {
                    format!("{lifetime}: {}", outlives.join(" + "))
                }
                WherePredicate::EqPredicate { lhs, rhs } => {
                    format!("{} = {}", self.ty(lhs), self.term(rhs))
                }
            })
            .collect();
        if preds.is_empty() {
            String::new()
        } else {
            format!(" where {}", preds.join(", "))
        }
    }

    fn bounds(&self, bounds: &[GenericBound]) -> String {
        bounds
            .iter()
            .map(|b| match b {
                GenericBound::TraitBound {
                    trait_, modifier, ..
                } => {
                    let m = match modifier {
                        rustdoc_types::TraitBoundModifier::Maybe => "?",
                        rustdoc_types::TraitBoundModifier::MaybeConst => "~const ",
                        rustdoc_types::TraitBoundModifier::None => "",
                    };
                    format!("{m}{}", self.path_ty(trait_))
                }
                GenericBound::Outlives(l) => l.clone(),
                GenericBound::Use(args) => format!(
                    "use<{}>",
                    args.iter()
                        .map(|a| match a {
                            rustdoc_types::PreciseCapturingArg::Lifetime(l) => l.clone(),
                            rustdoc_types::PreciseCapturingArg::Param(p) => p.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
            .collect::<Vec<_>>()
            .join(" + ")
    }

    fn term(&self, t: &Term) -> String {
        match t {
            Term::Type(t) => self.ty(t),
            Term::Constant(c) => c.expr.clone(),
        }
    }

    /// A path: an item the crate exports by its public path; one of the crate's own items it
    /// does not export by its definition path marked `(unnameable)`, since users cannot write
    /// it; other crates' items by their last segment.
    fn path_ty(&self, p: &RPath) -> String {
        let name = match (self.public.get(&p.id), self.krate.paths.get(&p.id)) {
            (Some(public), _) => public.clone(),
            (None, Some(summary)) if summary.crate_id == 0 => {
                format!("(unnameable){}", summary.path.join("::"))
            }
            _ => p.path.rsplit("::").next().unwrap_or(&p.path).to_string(),
        };
        match p.args.as_deref() {
            None => name,
            Some(args) => format!("{name}{}", self.args(args)),
        }
    }

    fn args(&self, args: &GenericArgs) -> String {
        match args {
            GenericArgs::AngleBracketed { args, constraints } => {
                let mut parts: Vec<String> = args
                    .iter()
                    .map(|a| match a {
                        GenericArg::Lifetime(l) => l.clone(),
                        GenericArg::Type(t) => self.ty(t),
                        GenericArg::Const(c) => c.expr.clone(),
                        GenericArg::Infer => "_".to_string(),
                    })
                    .collect();
                parts.extend(constraints.iter().map(|c| match &c.binding {
                    rustdoc_types::AssocItemConstraintKind::Equality(t) => {
                        format!("{} = {}", c.name, self.term(t))
                    }
                    rustdoc_types::AssocItemConstraintKind::Constraint(b) => {
                        format!("{}: {}", c.name, self.bounds(b))
                    }
                }));
                if parts.is_empty() {
                    String::new()
                } else {
                    format!("<{}>", parts.join(", "))
                }
            }
            GenericArgs::Parenthesized { inputs, output } => format!(
                "({}){}",
                inputs
                    .iter()
                    .map(|t| self.ty(t))
                    .collect::<Vec<_>>()
                    .join(", "),
                output
                    .as_ref()
                    .map(|t| format!(" -> {}", self.ty(t)))
                    .unwrap_or_default()
            ),
            GenericArgs::ReturnTypeNotation => "(..)".to_string(),
        }
    }

    fn ty(&self, t: &Type) -> String {
        match t {
            Type::ResolvedPath(p) => self.path_ty(p),
            Type::DynTrait(d) => {
                let mut parts: Vec<String> =
                    d.traits.iter().map(|p| self.path_ty(&p.trait_)).collect();
                if let Some(l) = &d.lifetime {
                    parts.push(l.clone());
                }
                format!("dyn {}", parts.join(" + "))
            }
            Type::Generic(g) => g.clone(),
            Type::Primitive(p) => p.clone(),
            Type::FunctionPointer(f) => format!(
                "fn({}){}",
                f.sig
                    .inputs
                    .iter()
                    .map(|(_, t)| self.ty(t))
                    .collect::<Vec<_>>()
                    .join(", "),
                f.sig
                    .output
                    .as_ref()
                    .map(|t| format!(" -> {}", self.ty(t)))
                    .unwrap_or_default()
            ),
            Type::Tuple(ts) => format!(
                "({})",
                ts.iter().map(|t| self.ty(t)).collect::<Vec<_>>().join(", ")
            ),
            Type::Slice(t) => format!("[{}]", self.ty(t)),
            Type::Array { type_, len } => format!("[{}; {len}]", self.ty(type_)),
            Type::Pat { type_, .. } => self.ty(type_),
            Type::ImplTrait(b) => format!("impl {}", self.bounds(b)),
            Type::Infer => "_".to_string(),
            Type::RawPointer { is_mutable, type_ } => format!(
                "*{} {}",
                if *is_mutable { "mut" } else { "const" },
                self.ty(type_)
            ),
            Type::BorrowedRef {
                lifetime,
                is_mutable,
                type_,
            } => {
                let mut s = "&".to_string();
                if let Some(l) = lifetime {
                    s.push_str(l);
                    s.push(' ');
                }
                if *is_mutable {
                    s.push_str("mut ");
                }
                s.push_str(&self.ty(type_));
                s
            }
            Type::QualifiedPath {
                name,
                self_type,
                trait_,
                ..
            } => match trait_ {
                Some(tr) => format!("<{} as {}>::{name}", self.ty(self_type), self.path_ty(tr)),
                None => format!("{}::{name}", self.ty(self_type)),
            },
        }
    }
}

fn attributes(item: &Item) -> String {
    let mut out = String::new();
    for a in &item.attrs {
        if matches!(a, Attribute::NonExhaustive) {
            out.push_str("#[non_exhaustive] ");
        }
    }
    if item.deprecation.is_some() {
        out.push_str("#[deprecated] ");
    }
    out
}
