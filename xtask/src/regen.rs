//! `cargo xtask regen [--check]`: openapi/ -> merged document -> generated sources.
//!
//! Everything is computed in memory first. Only when every step succeeded are files
//! written, each through a temporary file and a rename, so a failure leaves the committed
//! files as they were.

use anyhow::{Context, Result, bail};
use sonoran_codegen::Output;
use sonoran_spec::api::Api;
use std::fmt::Write as _;
use std::path::Path;

/// The APIs of `sonoran_spec::api::ALL` whose description (`openapi/<id>/`) exists.
pub fn apis(root: &Path) -> Vec<Api> {
    sonoran_spec::api::ALL
        .iter()
        .copied()
        .filter(|api| root.join(api.openapi_dir()).is_dir())
        .collect()
}

/// The merged and validated document of `api`.
pub fn build(root: &Path, api: &Api) -> Result<serde_json::Value> {
    sonoran_spec::build(api, &root.join(api.openapi_dir()))
        .map_err(|e| anyhow::anyhow!("{}/: {e}", api.openapi_dir()))
}

/// The copy of an API's merged document the fake server embeds, inside its crate so that the
/// published `sonoran-fake` carries it (a packaged crate cannot reach `../../openapi/`).
pub fn fake_copy(api: &Api) -> String {
    format!("crates/fake/openapi/{}.openapi.json", api.crate_name)
}

/// One API and its merged document.
pub type Merged = (Api, serde_json::Value);

/// All generated files for the repository at `root`, and each API's merged document. Every
/// API is built before anything is returned: one that fails fails the whole run. Every API
/// gets its merged document and the fake server's copy of it; its Rust files are written only
/// when its crate folder exists, its npm files only when its npm folder does.
pub fn outputs(root: &Path) -> Result<(Vec<Merged>, Vec<Output>)> {
    let mut docs = Vec::new();
    let mut outputs = Vec::new();
    for api in apis(root) {
        let doc = build(root, &api)?;
        let merged = sonoran_spec::to_json_text(&doc);
        let rust = root.join(api.crate_dir).is_dir();
        let npm = root.join(api.npm_dir).is_dir();
        outputs.push(Output {
            path: fake_copy(&api),
            contents: merged.clone(),
        });
        outputs.push(Output {
            path: api.merged_path(),
            contents: merged,
        });
        if rust || npm {
            let generated =
                sonoran_codegen::generate(&doc, &api).context("generating the client")?;
            let npm_prefix = format!("{}/", api.npm_dir);
            outputs.extend(generated.into_iter().filter(|o| {
                if o.path.starts_with(&npm_prefix) {
                    npm
                } else {
                    rust
                }
            }));
        }
        docs.push((api, doc));
    }
    Ok((docs, outputs))
}

/// The generated files whose committed content differs from what regen produces.
pub fn stale<'a>(root: &Path, outputs: &'a [Output]) -> Vec<&'a Output> {
    outputs
        .iter()
        .filter(|o| {
            std::fs::read_to_string(root.join(&o.path)).ok().as_deref() != Some(o.contents.as_str())
        })
        .collect()
}

/// A short, readable account of what is stale.
pub fn describe_stale(root: &Path, stale: &[&Output]) -> String {
    let mut out = String::new();
    for o in stale {
        let old = std::fs::read_to_string(root.join(&o.path)).unwrap_or_default();
        if old.is_empty() {
            let _ = writeln!(out, "{}: missing", o.path);
            continue;
        }
        let diff = similar::TextDiff::from_lines(old.as_str(), o.contents.as_str());
        let (mut added, mut removed) = (0, 0);
        for change in diff.iter_all_changes() {
            match change.tag() {
                similar::ChangeTag::Insert => added += 1,
                similar::ChangeTag::Delete => removed += 1,
                similar::ChangeTag::Equal => {}
            }
        }
        let _ = writeln!(
            out,
            "{}: {added} line(s) would be added, {removed} removed",
            o.path
        );
        let unified = diff.unified_diff().context_radius(2).to_string();
        for line in unified.lines().take(30) {
            let _ = writeln!(out, "    {line}");
        }
    }
    out
}

/// Writes `outputs` under `root`: all temporaries first, then the renames.
pub fn write_all(root: &Path, outputs: &[&Output]) -> Result<()> {
    let mut staged = Vec::new();
    for o in outputs {
        let path = root.join(&o.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let tmp = path.with_extension("regen.tmp");
        if let Err(e) = std::fs::write(&tmp, &o.contents) {
            for (t, _) in &staged {
                let _ = std::fs::remove_file(t);
            }
            bail!("writing {}: {e}", tmp.display());
        }
        staged.push((tmp, path));
    }
    for (tmp, path) in staged {
        std::fs::rename(&tmp, &path).with_context(|| format!("replacing {}", path.display()))?;
    }
    Ok(())
}

/// The whole command. Returns the stats line on success.
pub fn run(root: &Path, check: bool) -> Result<String> {
    let (docs, outputs) = outputs(root)?;
    let stale = stale(root, &outputs);
    let mut stats = String::new();
    for (api, doc) in &docs {
        let _ = write!(
            stats,
            "{}:\n{}",
            api.product,
            sonoran_spec::stats::stats(doc)
        );
    }
    if check {
        if !stale.is_empty() {
            bail!(
                "generated files are stale:\n{}\nrun `cargo xtask regen` and commit the result",
                describe_stale(root, &stale)
            );
        }
        return Ok(format!(
            "regen --check: {} generated files up to date\n{stats}",
            outputs.len()
        ));
    }
    write_all(root, &stale)?;
    Ok(format!(
        "regen: {} of {} generated files rewritten\n{stats}",
        stale.len(),
        outputs.len()
    ))
}
