//! `cargo xtask import-docs`: copy the OpenAPI block of every v2 docs page into
//! `openapi/<api>/v2/`, verbatim, and report what changed since the last import.

use crate::error::{Error, Problem};
use crate::index::{INDEX_FILE, Index, PageEntry};
use crate::page::{PAGES_DIR, PageFacts};
use crate::repair::{Fix, REPAIRS};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

const V2_PAGES: &str = "api-integration/api-endpoints-v2";

/// How a page was written, as the importer read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PageFormat {
    /// The current layout: method and URL on one line, the rate limit in a quote line, the
    /// OpenAPI document in a GitBook `{% tab title="OpenAPI" %}` (or any fence starting
    /// with `openapi:`), `## Response` with the documented reply.
    OpenApiTab,
    /// The older GitBook API blocks: `{% swagger method=... path=... %}` with
    /// `{% swagger-parameter %}` and `{% swagger-response %}`, turned into an OpenAPI block.
    Swagger,
}

impl fmt::Display for PageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PageFormat::OpenApiTab => "OpenAPI tab",
            PageFormat::Swagger => "swagger blocks",
        })
    }
}

/// One docs page's contribution.
#[derive(Debug, Clone)]
pub struct ImportedPage {
    pub entry: PageEntry,
    /// The file written under `openapi/<api>/v2/`: a header comment, then the block verbatim.
    pub contents: String,
    pub format: PageFormat,
    /// Tables, JSON examples and enums of the page (kept under `openapi/<api>/pages/v2/`).
    pub facts: PageFacts,
    /// The page itself, for messages (`<DIR>/api-integration/...md`).
    pub source: PathBuf,
    /// The limit the docs' rate-limit table (`api-endpoints-v2/rate-limits.md`) gives this
    /// page, where the docs have one.
    pub listed_limit: Option<ListedLimit>,
}

/// One row of the docs' rate-limit table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedLimit {
    pub per_minute: u32,
    /// The table's file and the row's 1-based line.
    pub file: PathBuf,
    pub line: usize,
}

/// The page that lists every v2 endpoint's limit, where the docs have one.
const RATE_LIMIT_PAGE: &str = "rate-limits.md";

/// Reads every v2 page under `<docs_dir>/api-integration/api-endpoints-v2/` that has an
/// OpenAPI block (or, in the older format, swagger blocks of `/v2` operations). Pages
/// without one (overviews, the account-object schema page, local and internal endpoints)
/// are skipped by design: they describe no `/v2` operation. A page whose block cannot be
/// read is an error naming the page and the line.
pub fn scan(api: &crate::api::Api, docs_dir: &Path) -> Result<Vec<ImportedPage>, Error> {
    scan_layers(api, &[docs_dir])
}

/// Like [`scan`] over several docs folders laid over each other, in order: a page of a later
/// folder replaces the page of an earlier one at the same relative path (a snapshot, then a
/// folder of pages newer than it). Every folder must hold `api-integration/api-endpoints-v2/`.
pub fn scan_layers(api: &crate::api::Api, docs_dirs: &[&Path]) -> Result<Vec<ImportedPage>, Error> {
    // Keyed by the relative path (compared by components, as the walk sorts).
    let mut layered: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    for docs_dir in docs_dirs {
        let root = docs_dir.join(V2_PAGES);
        if !root.is_dir() {
            return Err(Error::one(Problem::new(
                docs_dir,
                format!(
                    "no `{V2_PAGES}` folder here; pass the folder that holds `api-integration/`"
                ),
            )));
        }
        for md in markdown_files(&root).map_err(|e| Error::io(&root, &e))? {
            let rel = md.strip_prefix(&root).expect("walked from root");
            layered.insert(rel.to_path_buf(), md);
        }
    }
    let mut pages = Vec::new();
    let mut problems = Vec::new();
    for (rel, md) in layered {
        let rel_str = rel.to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(&md).map_err(|e| Error::io(&md, &e))?;
        let (block, format) = match find_openapi_block(&text) {
            Some(Block {
                closed: false,
                line,
                ..
            }) => {
                problems
                    .push(Problem::new(&md, "the OpenAPI fence is never closed").line(Some(line)));
                continue;
            }
            Some(b) => (b, PageFormat::OpenApiTab),
            None => match crate::swagger::to_openapi(api, &text) {
                Ok(Some(b)) => (b, PageFormat::Swagger),
                Ok(None) => continue,
                Err((line, msg)) => {
                    problems.push(Problem::new(&md, msg).line(Some(line)));
                    continue;
                }
            },
        };
        let docs_page = format!("api-endpoints-v2/{rel_str}");
        let file = rel_str.trim_end_matches(".md").to_string() + ".yaml";
        match operation_ids(&md, &block) {
            Ok(operations) => pages.push(ImportedPage {
                entry: PageEntry {
                    file,
                    rate_limit_per_minute: rate_limit(&text),
                    query_defaults: query_defaults(&text),
                    operations,
                    docs_page: docs_page.clone(),
                },
                contents: format!(
                    "# imported by `cargo xtask import-docs` from {docs_page}, do not edit\n{}",
                    block.text
                ),
                format,
                facts: crate::page::facts(&text),
                source: md.clone(),
                listed_limit: None,
            }),
            Err(p) => problems.push(p),
        }
    }
    // The rate-limit table of the topmost folder that has one.
    let table = docs_dirs
        .iter()
        .rev()
        .map(|d| d.join(V2_PAGES).join(RATE_LIMIT_PAGE))
        .find(|t| t.is_file());
    if let Some(table) = table {
        let text = std::fs::read_to_string(&table).map_err(|e| Error::io(&table, &e))?;
        for (page, limit, line) in listed_limits(&text) {
            let at = Problem::new(&table, "").line(Some(line));
            let page = page.trim_start_matches("./");
            match pages
                .iter_mut()
                .find(|p| p.entry.docs_page == format!("api-endpoints-v2/{page}"))
            {
                Some(p) => {
                    p.listed_limit = Some(ListedLimit {
                        per_minute: limit,
                        file: table.clone(),
                        line,
                    });
                    if p.entry.rate_limit_per_minute.is_none() {
                        p.entry.rate_limit_per_minute = Some(limit);
                    }
                }
                None => problems.push(Problem {
                    message: format!("lists the limit of `{page}`, which is no imported v2 page"),
                    ..at
                }),
            }
        }
    }
    if problems.is_empty() {
        Ok(pages)
    } else {
        Err(problems.into())
    }
}

/// Two pages that define one operationId: an error naming both pages and lines.
fn one_page_per_operation(pages: &[ImportedPage], problems: &mut Vec<Problem>) {
    let mut seen: BTreeMap<String, (&Path, Option<usize>)> = BTreeMap::new();
    for page in pages {
        let text = std::fs::read_to_string(&page.source).unwrap_or_default();
        for id in &page.entry.operations {
            let line = text
                .lines()
                .position(|l| {
                    let t = l.trim();
                    t.starts_with("operationId:")
                        && t.trim_start_matches("operationId:")
                            .trim()
                            .trim_matches(['"', '\''])
                            == id
                })
                .map(|n| n + 1);
            let normalized = crate::naming::v2_operation_id(id);
            match seen.get(&normalized) {
                Some((other, other_line)) => problems.push(
                    Problem::new(
                        &page.source,
                        format!(
                            "operationId `{id}` is also defined by {}{}: one operation, one page",
                            other.display(),
                            other_line.map(|l| format!(":{l}")).unwrap_or_default()
                        ),
                    )
                    .line(line),
                ),
                None => {
                    seen.insert(normalized, (&page.source, line));
                }
            }
        }
    }
}

/// The rows of a rate-limit table: (page relative to `api-endpoints-v2/`, limit per
/// minute, 1-based line). A row is `| [Name](area/page.md) | `13 requests/min` |`.
pub fn listed_limits(markdown: &str) -> Vec<(String, u32, usize)> {
    let mut out = Vec::new();
    for (n, line) in markdown.lines().enumerate() {
        let t = line.trim();
        if !t.starts_with('|') {
            continue;
        }
        let Some(link) = t.split("](").nth(1).and_then(|r| r.split(')').next()) else {
            continue;
        };
        let after = &t[t.find("](").expect("found above")..];
        let limit: String = after
            .split('|')
            .nth(1)
            .unwrap_or("")
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        let per_minute = after.contains("/min") || after.contains("per minute");
        if let (Ok(limit), true) = (limit.parse(), per_minute) {
            out.push((link.to_string(), limit, n + 1));
        }
    }
    out
}

/// An OpenAPI document found in a page, with the page line of its first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub text: String,
    /// 1-based page line of the block's first line.
    pub line: usize,
    /// Whether the fence was closed (an unclosed fence swallows the rest of the page).
    pub closed: bool,
}

fn markdown_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md")
                && path.file_name().is_some_and(|n| n != "README.md")
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The first fenced YAML block (```` ```yaml ```` or `~~~yaml`) that is an OpenAPI document.
pub fn openapi_block(markdown: &str) -> Option<String> {
    find_openapi_block(markdown).map(|b| b.text)
}

/// Like [`openapi_block`], with where the block starts and whether its fence closes.
pub fn find_openapi_block(markdown: &str) -> Option<Block> {
    let mut lines = markdown.lines().enumerate();
    while let Some((_, line)) = lines.next() {
        let t = line.trim();
        let fence = if t == "~~~yaml" || t == "~~~yml" {
            "~~~"
        } else if t == "```yaml" || t == "```yml" {
            "```"
        } else {
            continue;
        };
        let mut block = String::new();
        let mut first = None;
        let mut closed = false;
        for (n, inner) in lines.by_ref() {
            first.get_or_insert(n + 1);
            if inner.trim() == fence {
                closed = true;
                break;
            }
            block.push_str(inner);
            block.push('\n');
        }
        if block.trim_start().starts_with("openapi:") {
            return Some(Block {
                text: block,
                line: first.unwrap_or(1),
                closed,
            });
        }
    }
    None
}

/// `> **Rate limit:** `10 requests per minute``.
pub fn rate_limit(markdown: &str) -> Option<u32> {
    let line = markdown.lines().find(|l| l.contains("**Rate limit:**"))?;
    let after = &line[line.find("**Rate limit:**")? + "**Rate limit:**".len()..];
    let digits: String = after
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    if !after.contains("per minute") {
        return None;
    }
    digits.parse().ok()
}

/// Defaults from a "Query Parameters" table with a `Default` column. A cell that is not a
/// value (`Optional`, `-`, empty) is not a default.
pub fn query_defaults(markdown: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut in_section = false;
    let mut default_col = None;
    for line in markdown.lines() {
        let t = line.trim();
        if t.starts_with('#') {
            in_section = t.to_ascii_lowercase().contains("query parameters");
            default_col = None;
            continue;
        }
        if !in_section || !t.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = t.trim_matches('|').split('|').map(str::trim).collect();
        if default_col.is_none() {
            default_col = cells.iter().position(|c| c.eq_ignore_ascii_case("default"));
            continue;
        }
        let Some(col) = default_col else { continue };
        if cells.first().is_some_and(|c| c.starts_with("---")) {
            continue;
        }
        let name = cells
            .first()
            .map(|c| c.trim_matches('`'))
            .unwrap_or_default();
        let value = cells
            .get(col)
            .map(|c| c.trim_matches('`'))
            .unwrap_or_default();
        let is_value = !value.is_empty()
            && !["optional", "required", "-", "none", "n/a"]
                .contains(&value.to_ascii_lowercase().as_str());
        if !name.is_empty() && is_value {
            out.insert(name.to_string(), value.to_string());
        }
    }
    out
}

fn operation_ids(md: &Path, block: &Block) -> Result<Vec<String>, Problem> {
    let mut text = block.text.clone();
    for repair in REPAIRS {
        if let Fix::Text(fix) = repair.fix
            && let Some(fixed) = fix(&text)
        {
            text = fixed;
        }
    }
    let doc = crate::yaml::parse(md, &text).map_err(|p| {
        // The YAML parser counts from the block; the page line is what a maintainer opens.
        let line = p.line.map(|l| l + block.line - 1).or(Some(block.line));
        Problem {
            message: format!("in its OpenAPI block: {}", p.message),
            ..p
        }
        .line(line)
    })?;
    let mut ids = Vec::new();
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (method, op) in item.as_object().into_iter().flatten() {
            if !crate::METHODS.contains(&method.as_str()) {
                continue;
            }
            match op.get("operationId").and_then(Value::as_str) {
                Some(id) => ids.push(id.to_string()),
                None => {
                    return Err(Problem::new(
                        md,
                        format!("{method} {path} has no operationId"),
                    ));
                }
            }
        }
    }
    Ok(ids)
}

/// What an import would change, computed before anything is written.
#[derive(Debug, Default)]
pub struct Report {
    pub added_files: Vec<String>,
    pub removed_files: Vec<String>,
    pub changed_files: Vec<String>,
    pub added_operations: Vec<String>,
    pub removed_operations: Vec<String>,
    /// Operations whose imported text changed and that a typed overlay covers.
    pub overlays_to_review: Vec<(String, String)>,
    /// Overlays naming an operation the new import no longer has.
    pub orphaned_overlays: Vec<(String, String)>,
    pub rate_limit_changes: Vec<(String, Option<u32>, Option<u32>)>,
    /// Docs page -> the format it was read as.
    pub formats: Vec<(String, PageFormat)>,
    /// Operations given an inferred draft overlay, with the draft's file.
    pub inferred: Vec<(String, String)>,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.added_files.is_empty()
            && self.removed_files.is_empty()
            && self.changed_files.is_empty()
            && self.rate_limit_changes.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut by_format: BTreeMap<PageFormat, Vec<&str>> = BTreeMap::new();
        for (page, format) in &self.formats {
            by_format.entry(*format).or_default().push(page);
        }
        for (format, pages) in &by_format {
            writeln!(f, "read as {format} ({}):", pages.len())?;
            for p in pages {
                writeln!(f, "  {p}")?;
            }
        }
        if !self.inferred.is_empty() {
            writeln!(
                f,
                "inferred types to review ({}; drafts, move a file to types/v2/ to own it):",
                self.inferred.len()
            )?;
            for (op, file) in &self.inferred {
                writeln!(f, "  {op} ({file})")?;
            }
        }
        if self.is_empty() {
            return writeln!(f, "import: nothing changed");
        }
        let list = |f: &mut fmt::Formatter<'_>, title: &str, items: &[String]| -> fmt::Result {
            if !items.is_empty() {
                writeln!(f, "{title} ({}):", items.len())?;
                for i in items {
                    writeln!(f, "  {i}")?;
                }
            }
            Ok(())
        };
        list(f, "added files", &self.added_files)?;
        list(f, "removed files", &self.removed_files)?;
        list(f, "changed files", &self.changed_files)?;
        list(f, "new operations", &self.added_operations)?;
        list(f, "removed operations", &self.removed_operations)?;
        for (file, old, new) in &self.rate_limit_changes {
            writeln!(f, "rate limit of {file}: {old:?} -> {new:?} per minute")?;
        }
        if !self.overlays_to_review.is_empty() {
            writeln!(f, "typing to review (docs changed under a typed overlay):")?;
            for (op, overlay) in &self.overlays_to_review {
                writeln!(f, "  {op} ({overlay})")?;
            }
        }
        if !self.orphaned_overlays.is_empty() {
            writeln!(
                f,
                "overlays whose operation vanished (regen will fail until they are fixed):"
            )?;
            for (op, overlay) in &self.orphaned_overlays {
                writeln!(f, "  {op} ({overlay})")?;
            }
        }
        Ok(())
    }
}

/// The files an import writes (relative to `openapi/`) and what it reports.
#[derive(Debug)]
pub struct Plan {
    pub writes: BTreeMap<String, String>,
    pub deletes: Vec<String>,
    pub report: Report,
}

pub fn plan(
    api: &crate::api::Api,
    openapi_dir: &Path,
    pages: &[ImportedPage],
) -> Result<Plan, Error> {
    let old_index = Index::load(openapi_dir)?;
    let mut new_index = Index {
        pages: pages.iter().map(|p| p.entry.clone()).collect(),
    };
    // Pages of several docs folders in one order, the order a single folder is read in.
    new_index
        .pages
        .sort_by(|a, b| Path::new(&a.file).cmp(Path::new(&b.file)));
    let overlays = crate::load::overlay_targets(openapi_dir)?;
    let existing = if openapi_dir.is_dir() {
        crate::load::yaml_files(openapi_dir)?
    } else {
        Vec::new()
    };
    let mut report = Report::default();
    let mut writes = BTreeMap::new();
    let mut problems = Vec::new();

    let old_files: BTreeSet<&str> = old_index.pages.iter().map(|p| p.file.as_str()).collect();
    let new_files: BTreeSet<&str> = new_index.pages.iter().map(|p| p.file.as_str()).collect();
    let old_ops: BTreeSet<&str> = old_index
        .pages
        .iter()
        .flat_map(|p| p.operations.iter().map(String::as_str))
        .collect();
    let new_ops: BTreeSet<&str> = new_index
        .pages
        .iter()
        .flat_map(|p| p.operations.iter().map(String::as_str))
        .collect();

    one_page_per_operation(pages, &mut problems);
    let pool = crate::infer::Pool::from_facts(pages.iter().map(|p| &p.facts))
        .with_v1_examples(openapi_dir)?;
    for page in pages {
        if let Some(listed) = &page.listed_limit
            && page.entry.rate_limit_per_minute != Some(listed.per_minute)
        {
            let decided = page.entry.operations.iter().all(|op| {
                overlays
                    .get(op)
                    .or_else(|| overlays.get(&crate::naming::v2_operation_id(op)))
                    .is_some_and(|file| overlay_decides_limit(openapi_dir, file, op))
            });
            if !decided {
                let page_line = std::fs::read_to_string(&page.source)
                    .ok()
                    .and_then(|t| t.lines().position(|l| l.contains("**Rate limit:**")))
                    .map(|n| n + 1);
                problems.push(
                    Problem::new(
                        &page.source,
                        format!(
                            "states {} requests per minute, but {}:{} lists {}: fix the docs, or record a decision (`x-rate-limit-per-minute` and `x-decisions` in the operation's overlay under types/v2/)",
                            page.entry.rate_limit_per_minute.unwrap_or_default(),
                            listed.file.display(),
                            listed.line,
                            listed.per_minute
                        ),
                    )
                    .line(page_line),
                );
            }
        }
        let rel = format!("v2/{}", page.entry.file);
        report
            .formats
            .push((page.entry.docs_page.clone(), page.format));
        let new_doc = match crate::load::parse_repaired(&rel, &page.contents, Some(&page.entry)) {
            Ok((doc, _)) => doc,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let old = std::fs::read_to_string(openapi_dir.join(&rel)).ok();
        let mut contents = page.contents.clone();
        match old {
            None => report.added_files.push(rel.clone()),
            Some(old) if old != page.contents => {
                // Same meaning in another layout (fence, quoting, `200:` vs `'200'`, the
                // older format): the file stays as it is, so a format move is no diff.
                let same = crate::load::parse_repaired(&rel, &old, Some(&page.entry))
                    .is_ok_and(|(old_doc, _)| old_doc == new_doc);
                if same {
                    contents = old;
                } else {
                    report.changed_files.push(rel.clone());
                    for op in &page.entry.operations {
                        if let Some(overlay) = overlays
                            .get(op)
                            .or_else(|| overlays.get(&crate::naming::v2_operation_id(op)))
                        {
                            report
                                .overlays_to_review
                                .push((op.clone(), overlay.clone()));
                        }
                    }
                }
            }
            Some(_) => {}
        }
        if let Some(old) = old_index.page(&page.entry.file)
            && old.rate_limit_per_minute != page.entry.rate_limit_per_minute
        {
            report.rate_limit_changes.push((
                rel.clone(),
                old.rate_limit_per_minute,
                page.entry.rate_limit_per_minute,
            ));
        }
        writes.insert(rel, contents);

        let facts_rel = format!("{PAGES_DIR}/{}", page.entry.file);
        writes.insert(facts_rel, page.facts.to_yaml(&page.entry.docs_page));

        let inferred = crate::infer::infer_page(api, &new_doc, &page.facts, &pool, |id| {
            overlays.contains_key(id) || overlays.contains_key(&crate::naming::v2_operation_id(id))
        });
        if !inferred.is_empty() {
            let inferred_rel = format!("{}/{}", crate::infer::INFERRED_DIR, page.entry.file);
            for op in inferred.operations.keys() {
                report.inferred.push((op.clone(), inferred_rel.clone()));
            }
            writes.insert(
                inferred_rel,
                inferred.to_yaml(
                    &page.entry.docs_page,
                    &format!("{}/types/v2/{}", api.openapi_dir(), page.entry.file),
                ),
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems.into());
    }
    let mut deletes: Vec<String> = old_files
        .difference(&new_files)
        .map(|f| format!("v2/{f}"))
        .collect();
    report.removed_files = deletes.clone();
    // Facts and drafts the import no longer produces (a page gone, or its operation typed by
    // hand since): removed.
    for rel in &existing {
        let machine = rel.starts_with(&format!("{PAGES_DIR}/"))
            || rel.starts_with(&format!("{}/", crate::infer::INFERRED_DIR));
        if machine && !writes.contains_key(rel) {
            deletes.push(rel.clone());
            report.removed_files.push(rel.clone());
        }
    }
    for (rel, contents) in &writes {
        if !(rel.starts_with(&format!("{PAGES_DIR}/"))
            || rel.starts_with(&format!("{}/", crate::infer::INFERRED_DIR)))
        {
            continue;
        }
        match std::fs::read_to_string(openapi_dir.join(rel)) {
            Err(_) => report.added_files.push(rel.clone()),
            Ok(old) if &old != contents => report.changed_files.push(rel.clone()),
            Ok(_) => {}
        }
    }
    report.added_operations = new_ops
        .difference(&old_ops)
        .map(|s| s.to_string())
        .collect();
    report.removed_operations = old_ops
        .difference(&new_ops)
        .map(|s| s.to_string())
        .collect();
    let new_ids: BTreeSet<String> = new_ops
        .iter()
        .map(|op| crate::naming::v2_operation_id(op))
        .collect();
    for (op, overlay) in &overlays {
        if !new_ops.contains(op.as_str()) && !new_ids.contains(op) {
            report.orphaned_overlays.push((op.clone(), overlay.clone()));
        }
    }
    let index_text = new_index.to_yaml();
    if std::fs::read_to_string(openapi_dir.join(INDEX_FILE))
        .ok()
        .as_deref()
        != Some(&index_text)
        && report.is_empty()
    {
        report.changed_files.push(INDEX_FILE.to_string());
    }
    writes.insert(INDEX_FILE.to_string(), index_text);
    Ok(Plan {
        writes,
        deletes,
        report,
    })
}

/// Whether the overlay `file` sets the limit of `op` itself and says why.
fn overlay_decides_limit(openapi_dir: &Path, file: &str, op: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(openapi_dir.join(file)) else {
        return false;
    };
    let Ok(doc) = crate::yaml::parse(Path::new(file), &text) else {
        return false;
    };
    let ops = doc.get("operations");
    let entry = ops
        .and_then(|o| o.get(op))
        .or_else(|| ops.and_then(|o| o.get(crate::naming::v2_operation_id(op))));
    entry.is_some_and(|e| {
        e.get("x-rate-limit-per-minute").is_some() && e.get("x-decisions").is_some()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_openapi_block_among_other_fences() {
        let md =
            "```lua\nx\n```\n~~~yaml\nfoo: 1\n~~~\n~~~yaml\nopenapi: \"3.0.3\"\npaths: {}\n~~~\n";
        assert_eq!(
            openapi_block(md).unwrap(),
            "openapi: \"3.0.3\"\npaths: {}\n"
        );
        assert_eq!(openapi_block("no blocks"), None);
    }

    #[test]
    fn reads_the_stated_rate_limit() {
        let md = "> **Rate limit:** `10 requests per minute`  \n> per key";
        assert_eq!(rate_limit(md), Some(10));
        assert_eq!(rate_limit("nothing"), None);
    }

    #[test]
    fn reads_query_defaults_but_not_optional_markers() {
        let md = "## Query Parameters\n\n| Name | Type | Default | Description |\n| --- | --- | --- | --- |\n\
                  | `limit` | integer | `100` | Max. |\n| `username` | string | Optional | Filter. |\n\n## Response\n| a | b |\n";
        let d = query_defaults(md);
        assert_eq!(d.len(), 1);
        assert_eq!(d["limit"], "100");
    }
}
