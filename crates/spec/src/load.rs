//! Reading `openapi/`: every YAML file, parsed, repaired where it is an imported one, and
//! sorted into the part of the description it belongs to.

use crate::error::{Error, Problem};
use crate::index::{INDEX_FILE, Index, PageEntry};
use crate::repair::{Fix, REPAIRS};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One parsed file.
#[derive(Debug, Clone)]
pub struct Source {
    /// Relative to `openapi/`, with `/` separators.
    pub rel: String,
    pub doc: Value,
    /// Ids of the repairs that changed this file.
    pub repairs: Vec<&'static str>,
    /// The import index entry (imported files only).
    pub page: Option<PageEntry>,
    /// The file as read, for the line numbers of messages.
    pub text: String,
}

impl Source {
    /// The 1-based line of the first mapping key `key` (bare or quoted) in the file.
    pub fn line_of_key(&self, key: &str) -> Option<usize> {
        self.text
            .lines()
            .position(|l| {
                let t = l.trim_start();
                [
                    format!("{key}:"),
                    format!("'{key}':"),
                    format!("\"{key}\":"),
                ]
                .iter()
                .any(|k| t.starts_with(k.as_str()))
            })
            .map(|n| n + 1)
    }
}

#[derive(Debug, Default)]
pub struct Sources {
    pub imported: Vec<Source>,
    pub overlays: Vec<Source>,
    pub components: Vec<Source>,
    pub v1: Vec<Source>,
    /// Draft overlays written by inference (`types/inferred/v2/`).
    pub inferred: Vec<Source>,
    /// `events/*.yaml`: push-event types and their payload schemas.
    pub events: Vec<Source>,
}

enum Kind {
    Imported,
    Overlay,
    Components,
    V1,
    Inferred,
    Events,
}

fn kind_of(rel: &str) -> Option<Kind> {
    if rel == INDEX_FILE {
        None
    } else if rel.starts_with("v2/") {
        Some(Kind::Imported)
    } else if rel.starts_with("types/v2/") {
        Some(Kind::Overlay)
    } else if rel.starts_with(crate::infer::INFERRED_DIR) {
        Some(Kind::Inferred)
    } else if rel.starts_with("components/") {
        Some(Kind::Components)
    } else if rel.starts_with("v1/") {
        Some(Kind::V1)
    } else if rel.starts_with("events/") {
        Some(Kind::Events)
    } else {
        None
    }
}

pub fn yaml_files(openapi_dir: &Path) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    let mut stack = vec![openapi_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, &e))?;
        for entry in entries {
            let path = entry.map_err(|e| Error::io(&dir, &e))?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let rel = path.strip_prefix(openapi_dir).expect("walked from root");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Loads and parses everything, reporting every unreadable or misplaced file at once.
pub fn load(openapi_dir: &Path) -> Result<Sources, Error> {
    if !openapi_dir.is_dir() {
        return Err(Error::one(Problem::new(
            openapi_dir,
            "the openapi/ folder does not exist",
        )));
    }
    let index = Index::load(openapi_dir)?;
    let mut sources = Sources::default();
    let mut problems = Vec::new();
    for rel in yaml_files(openapi_dir)? {
        if rel == INDEX_FILE
            || rel.starts_with(crate::page::PAGES_DIR)
            || rel.starts_with(crate::v1_import::OVERLAY_DIR)
        {
            // Import inputs (the v1 hand decisions are applied by the import itself).
            continue;
        }
        let Some(kind) = kind_of(&rel) else {
            problems.push(Problem::new(
                &rel,
                "YAML file outside v2/, types/v2/, types/inferred/v2/, pages/v2/, components/, v1/ and events/: move it where it belongs",
            ));
            continue;
        };
        let path = openapi_dir.join(&rel);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                problems.push(Problem::new(&rel, format!("cannot read: {e}")));
                continue;
            }
        };
        let page = if let Kind::Imported = kind {
            let file = rel.trim_start_matches("v2/");
            match index.page(file) {
                Some(p) => Some(p.clone()),
                None => {
                    problems.push(Problem::new(
                        &rel,
                        "imported file missing from v2/index.yaml: re-run `cargo xtask import-docs`",
                    ));
                    continue;
                }
            }
        } else {
            None
        };
        let (doc, repairs) = match parse_repaired(&rel, &text, page.as_ref()) {
            Ok(parsed) => parsed,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let source = Source {
            rel,
            doc,
            repairs,
            page,
            text,
        };
        match kind {
            Kind::Imported => sources.imported.push(source),
            Kind::Overlay => sources.overlays.push(source),
            Kind::Components => sources.components.push(source),
            Kind::V1 => sources.v1.push(source),
            Kind::Inferred => sources.inferred.push(source),
            Kind::Events => sources.events.push(source),
        }
    }
    for page in &index.pages {
        if !openapi_dir.join("v2").join(&page.file).is_file() {
            problems.push(Problem::new(
                INDEX_FILE,
                format!(
                    "lists v2/{} which does not exist: re-run `cargo xtask import-docs`",
                    page.file
                ),
            ));
        }
    }
    if problems.is_empty() {
        Ok(sources)
    } else {
        Err(problems.into())
    }
}

/// Parses one file; an imported one (with its index entry) gets the repairs first.
pub fn parse_repaired(
    rel: &str,
    text: &str,
    page: Option<&PageEntry>,
) -> Result<(Value, Vec<&'static str>), Problem> {
    let mut text = text.to_string();
    let mut repairs = Vec::new();
    if page.is_some() {
        for repair in REPAIRS {
            if let Fix::Text(fix) = repair.fix
                && let Some(fixed) = fix(&text)
            {
                text = fixed;
                repairs.push(repair.id);
            }
        }
    }
    let mut doc = crate::yaml::parse(Path::new(rel), &text)?;
    if !doc.is_object() {
        return Err(Problem::new(rel, "expected a mapping at the top level"));
    }
    if let Some(page) = page {
        for repair in REPAIRS {
            if let Fix::Value(fix) = repair.fix
                && fix(&mut doc, page) > 0
            {
                repairs.push(repair.id);
            }
        }
    }
    Ok((doc, repairs))
}

/// operationId -> overlay file, for the import report.
pub fn overlay_targets(openapi_dir: &Path) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    if !openapi_dir.join("types").is_dir() {
        return Ok(out);
    }
    for rel in yaml_files(openapi_dir)? {
        if !rel.starts_with("types/v2/") {
            continue;
        }
        let path: PathBuf = openapi_dir.join(&rel);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, &e))?;
        let doc = crate::yaml::parse(Path::new(&rel), &text).map_err(Error::one)?;
        for op in doc
            .get("operations")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.keys())
        {
            out.insert(op.clone(), rel.clone());
        }
    }
    Ok(out)
}
