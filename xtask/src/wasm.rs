//! `cargo xtask wasm`: the npm packages, one per API whose npm folder exists: `sonoran-cad`
//! in `crates/wasm/pkg/`, `sonoran-cms` in `crates/cms-wasm/pkg/`.
//!
//! Installs what it needs when missing (the wasm32 target, the wasm-bindgen CLI at the
//! version Cargo.lock pins, the npm dev tools of crates/wasm), builds each API's wasm crate
//! (its tables over the shared `crates/wasm-core`) with the size profile, binds it for the
//! web target (Node's CommonJS copy is made from it), shrinks the module with binaryen's
//! wasm-opt (Debian's wasm-opt 108 produces broken modules), and writes the package around
//! it: the shared JS of `crates/wasm-core/js/` with the API's names filled in, the API's
//! generated JS and declarations, and its README.

use crate::{cargo, run};
use anyhow::{Context, Result, bail};
use sonoran_spec::api::{Api, CAD};
use std::path::Path;
use std::process::Command;

/// CAD's package (the one the tests and benchmarks of crates/wasm use).
pub const PKG: &str = "crates/wasm/pkg";
/// Where the npm dev tools (wasm-opt, tsc, ...) are installed, for every package.
const CRATE: &str = "crates/wasm";
/// The JS every package shares, as templates (`@package@`, `@Class@`, `@module@`, ...).
const SHARED_JS: &str = "crates/wasm-core/js";

/// The folder `api`'s package is written to.
pub fn pkg_dir(api: &Api) -> String {
    format!("{}/pkg", api.npm_dir)
}

/// The cargo package of `api`'s module (`sonoran-cad-wasm`).
fn wasm_crate(api: &Api) -> String {
    format!("{}-wasm", api.package_name)
}

/// The module's file name in `api`'s package (`sonoran_cad_bg.wasm`): one copy, loaded by
/// every entry point.
pub fn module(api: &Api) -> String {
    format!("{}_bg.wasm", api.package_name.replace('-', "_"))
}

/// The APIs whose npm folder exists, each with its package.
pub fn apis(root: &Path) -> Vec<Api> {
    crate::regen::apis(root)
        .into_iter()
        .filter(|api| root.join(api.npm_dir).join("Cargo.toml").is_file())
        .collect()
}

/// The wasm-bindgen version Cargo.lock pins (the CLI must match it exactly).
pub fn locked_wasm_bindgen(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            let version = lines.next().unwrap_or_default();
            if let Some(v) = version.trim().strip_prefix("version = \"") {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package")
}

fn ensure_wasm_bindgen_cli(version: &str) -> Result<()> {
    let installed = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string());
    if installed
        .as_deref()
        .is_some_and(|v| v.split_whitespace().nth(1) == Some(version))
    {
        return Ok(());
    }
    println!(
        "==> installing wasm-bindgen-cli {version} (found: {})",
        installed.as_deref().unwrap_or("none").trim()
    );
    // Without --locked: a dependency version its lock file names is not served here.
    run(
        "cargo install wasm-bindgen-cli",
        cargo().args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            version,
            "--force",
        ]),
    )
}

/// `npm ci` in crates/wasm when its tools are missing, or when package-lock.json changed
/// since they were installed (npm's own `node_modules/.package-lock.json` is older).
pub fn ensure_npm_tools(root: &Path) -> Result<()> {
    let dir = root.join(CRATE);
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let installed = modified(&dir.join("node_modules/.package-lock.json"));
    let locked = modified(&dir.join("package-lock.json"));
    let current = matches!((installed, locked), (Some(i), Some(l)) if i >= l);
    if current
        && ["wasm-opt", "tsc", "attw", "vite"]
            .iter()
            .all(|bin| dir.join("node_modules/.bin").join(bin).exists())
    {
        return Ok(());
    }
    println!("==> npm ci (crates/wasm dev tools)");
    run(
        "npm ci",
        Command::new("npm")
            .current_dir(&dir)
            .args(["ci", "--no-audit", "--no-fund"]),
    )
}

fn gzip_size(path: &Path) -> Result<u64> {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .context("running gzip")?;
    Ok(out.stdout.len() as u64)
}

/// Byte sizes of what a browser or Node loads: the module and its JS glue.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub wasm: u64,
    pub wasm_gz: u64,
    pub glue: u64,
    pub glue_gz: u64,
}

impl std::fmt::Display for Sizes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kb = |b: u64| b as f64 / 1024.0;
        write!(
            f,
            "wasm {:.1} KiB ({:.1} KiB gzip -9), JS glue {:.1} KiB ({:.1} KiB gzip -9); total {:.1} KiB gzipped",
            kb(self.wasm),
            kb(self.wasm_gz),
            kb(self.glue),
            kb(self.glue_gz),
            kb(self.wasm_gz + self.glue_gz)
        )
    }
}

/// The sizes of CAD's package.
pub fn sizes(root: &Path) -> Result<Sizes> {
    sizes_of(root, &CAD)
}

/// The sizes of `api`'s package.
pub fn sizes_of(root: &Path, api: &Api) -> Result<Sizes> {
    let pkg = root.join(pkg_dir(api));
    let wasm = pkg.join(module(api));
    let mut js = 0;
    let mut js_gz = 0;
    // What a browser loads besides the module: the glue, the shared core, the tables of
    // names and enum values, the entry.
    for file in [
        "glue.mjs",
        "core.mjs",
        "operations.mjs",
        "enums.mjs",
        "browser.mjs",
    ] {
        let path = pkg.join(file);
        js += std::fs::metadata(&path)?.len();
        js_gz += gzip_size(&path)?;
    }
    Ok(Sizes {
        wasm: std::fs::metadata(&wasm)?.len(),
        wasm_gz: gzip_size(&wasm)?,
        glue: js,
        glue_gz: js_gz,
    })
}

/// `npm pack --dry-run` of the package: (tarball bytes, unpacked bytes).
pub fn tarball_sizes(root: &Path) -> Result<(u64, u64)> {
    let out = Command::new("npm")
        .current_dir(root.join(PKG))
        .args(["pack", "--dry-run", "--json"])
        .output()
        .context("running npm pack --dry-run")?;
    if !out.status.success() {
        bail!(
            "npm pack --dry-run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("reading npm pack's JSON")?;
    let entry = &v[0];
    Ok((
        entry["size"].as_u64().unwrap_or(0),
        entry["unpackedSize"].as_u64().unwrap_or(0),
    ))
}

fn package_json(api: &Api, version: &str) -> String {
    if *api != CAD {
        return other_package_json(api, version);
    }
    let module = module(api);
    format!(
        r#"{{
  "name": "sonoran-cad",
  "version": "{version}",
  "description": "Typed client for the Sonoran CAD API (v1 and v2) for Node and browsers, generated from the API docs; Rust compiled to WebAssembly.",
  "license": "MIT OR Apache-2.0",
  "keywords": ["sonoran", "sonorancad", "cad", "fivem", "api", "client", "wasm"],
  "main": "./index.cjs",
  "module": "./browser.mjs",
  "types": "./index.d.cts",
  "exports": {{
    ".": {{
      "browser": {{ "types": "./index.d.mts", "default": "./browser.mjs" }},
      "import": {{ "types": "./index.d.mts", "default": "./index.mjs" }},
      "require": {{ "types": "./index.d.cts", "default": "./index.cjs" }}
    }},
    "./events": {{
      "import": {{ "types": "./events.d.mts", "default": "./events.mjs" }},
      "require": {{ "types": "./events.d.cts", "default": "./events.cjs" }}
    }},
    "./websocket": {{
      "import": {{ "types": "./websocket.d.mts", "default": "./websocket.mjs" }},
      "require": {{ "types": "./websocket.d.cts", "default": "./websocket.cjs" }}
    }},
    "./package.json": "./package.json"
  }},
  "engines": {{ "node": ">=18" }},
  "sideEffects": ["./browser.mjs"],
  "files": ["index.cjs", "index.mjs", "index.d.cts", "index.d.mts", "browser.mjs", "core.cjs", "core.mjs", "glue.cjs", "glue.mjs", "operations.cjs", "operations.mjs", "enums.cjs", "enums.mjs", "events.cjs", "events.mjs", "events.d.cts", "events.d.mts", "event-schemas.cjs", "event-schemas.mjs", "events/package.json", "websocket.mjs", "websocket.d.mts", "websocket.cjs", "websocket.d.cts", "websocket/package.json", "{module}", "README.md"],
  "peerDependencies": {{ "@microsoft/signalr": "^10.0.11" }},
  "peerDependenciesMeta": {{ "@microsoft/signalr": {{ "optional": true }} }}
}}
"#
    )
}

/// The package.json of an API other than CAD's: no websocket entry.
fn other_package_json(api: &Api, version: &str) -> String {
    let module = module(api);
    let name = api.package_name;
    let product = api.product;
    let short = api.short_name.to_ascii_lowercase();
    format!(
        r#"{{
  "name": "{name}",
  "version": "{version}",
  "description": "Typed client for the {product} API (v1 and v2) for Node and browsers, generated from the API docs; Rust compiled to WebAssembly.",
  "license": "MIT OR Apache-2.0",
  "keywords": ["sonoran", "sonoran{short}", "{short}", "fivem", "api", "client", "wasm"],
  "main": "./index.cjs",
  "module": "./browser.mjs",
  "types": "./index.d.cts",
  "exports": {{
    ".": {{
      "browser": {{ "types": "./index.d.mts", "default": "./browser.mjs" }},
      "import": {{ "types": "./index.d.mts", "default": "./index.mjs" }},
      "require": {{ "types": "./index.d.cts", "default": "./index.cjs" }}
    }},
    "./events": {{
      "import": {{ "types": "./events.d.mts", "default": "./events.mjs" }},
      "require": {{ "types": "./events.d.cts", "default": "./events.cjs" }}
    }},
    "./package.json": "./package.json"
  }},
  "engines": {{ "node": ">=18" }},
  "sideEffects": ["./browser.mjs"],
  "files": ["index.cjs", "index.mjs", "index.d.cts", "index.d.mts", "browser.mjs", "core.cjs", "core.mjs", "glue.cjs", "glue.mjs", "operations.cjs", "operations.mjs", "enums.cjs", "enums.mjs", "events.cjs", "events.mjs", "events.d.cts", "events.d.mts", "event-schemas.cjs", "event-schemas.mjs", "events/package.json", "{module}", "README.md"]
}}
"#
    )
}

/// A shared JS template with `api`'s names filled in: `@package@`, `@Class@`, `@module@`,
/// `@push_path@`, and `/*@envelope@...@*/`, kept (without its markers) when the API's replies
/// come in an envelope and dropped otherwise.
fn fill(template: &str, api: &Api) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("/*@envelope@") {
        out.push_str(&rest[..start]);
        let inner = &rest[start + "/*@envelope@".len()..];
        let Some(end) = inner.find("@*/") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        if api.envelope.payload_key().is_some() {
            out.push_str(&inner[..end]);
        }
        rest = &inner[end + "@*/".len()..];
    }
    out.push_str(rest);
    out.replace("@package@", api.package_name)
        .replace("@Class@", api.js_class)
        .replace("@module@", &module(api))
        .replace("@push_path@", api.push_path)
}

/// An ES module as CommonJS, so that `require` works on Node versions that cannot require
/// ESM: `export` declarations become locals listed in `module.exports`.
fn commonjs(esm: &str, source: &str) -> Result<String> {
    let mut names: Vec<(String, String)> = Vec::new();
    let mut out = format!("'use strict';\n// Generated by `cargo xtask wasm` from {source}.\n");
    for line in esm.lines() {
        let line = if let Some(rest) = line.strip_prefix("export class ") {
            let n = rest
                .split([' ', '{'])
                .next()
                .unwrap_or_default()
                .to_string();
            names.push((n.clone(), n));
            format!("class {rest}")
        } else if let Some(rest) = line.strip_prefix("export function ") {
            let n = rest.split('(').next().unwrap_or_default().to_string();
            names.push((n.clone(), n));
            format!("function {rest}")
        } else if let Some(rest) = line.strip_prefix("export async function ") {
            let n = rest.split('(').next().unwrap_or_default().to_string();
            names.push((n.clone(), n));
            format!("async function {rest}")
        } else if let Some(rest) = line.strip_prefix("export const ") {
            let n = rest
                .split([' ', '='])
                .next()
                .unwrap_or_default()
                .to_string();
            names.push((n.clone(), n));
            format!("const {rest}")
        } else if let Some(rest) = line.strip_prefix("export default ") {
            let n = rest.trim_end_matches(';').trim().to_string();
            names.push(("default".into(), n));
            continue;
        } else if let Some(rest) = line.strip_prefix("export {") {
            for n in rest.trim_end_matches(['}', ';', ' ']).split(',') {
                // `local` or `local as exported`.
                let mut parts = n.split(" as ").map(str::trim);
                let local = parts.next().unwrap_or_default().to_string();
                let exported = parts.next().map_or_else(|| local.clone(), str::to_string);
                if !local.is_empty() {
                    names.push((exported, local));
                }
            }
            continue;
        } else if let Some(rest) = line.strip_prefix("import {")
            && let Some((names, from)) = rest.split_once("} from ")
        {
            // `import { a, b } from 'x.mjs';` -> `const { a, b } = require('x.cjs');`
            let from = from.trim_end_matches(';').replace(".mjs'", ".cjs'");
            format!("const {{{names}}} = require({from});")
        } else if line.starts_with("import ") || line.starts_with("export ") {
            bail!("{source}: cannot turn `{line}` into CommonJS");
        } else {
            line.replace(
                "import.meta.url",
                "require('node:url').pathToFileURL(__filename).href",
            )
        };
        out.push_str(&line);
        out.push('\n');
    }
    let list: Vec<String> = names
        .iter()
        .map(|(k, v)| {
            if k == v {
                k.clone()
            } else {
                format!("{k}: {v}")
            }
        })
        .collect();
    out.push_str(&format!("\nmodule.exports = {{ {} }};\n", list.join(", ")));
    Ok(out)
}

/// `require('sonoran-cad/websocket')`: a CommonJS copy of websocket.mjs (which requires
/// events.cjs and @microsoft/signalr's CommonJS build), its declarations as .d.cts (the event
/// types from events.d.cts), and websocket/package.json for resolvers without `exports`.
fn websocket_commonjs(js: &Path, pkg: &Path) -> Result<()> {
    let read = |from: &str| {
        std::fs::read_to_string(js.join(from))
            .with_context(|| format!("reading {}", js.join(from).display()))
    };
    let esm = read("websocket.mjs")?;
    std::fs::write(pkg.join("websocket.cjs"), commonjs(&esm, "websocket.mjs")?)?;
    let types = read("websocket.d.mts")?.replace("from './events.mjs'", "from './events.cjs'");
    std::fs::write(pkg.join("websocket.d.cts"), types)?;
    std::fs::create_dir_all(pkg.join("websocket"))?;
    std::fs::write(
        pkg.join("websocket/package.json"),
        "{\n  \"private\": true,\n  \"main\": \"../websocket.cjs\",\n  \"types\": \"../websocket.d.cts\"\n}\n",
    )?;
    Ok(())
}

/// Builds every API's package (CAD's first); returns CAD's sizes.
pub fn build(root: &Path) -> Result<Sizes> {
    crate::test_all::ensure_wasm_target()?;
    ensure_wasm_bindgen_cli(&locked_wasm_bindgen(root)?)?;
    ensure_npm_tools(root)?;
    let mut cad = None;
    for api in apis(root) {
        let sizes = build_api(root, &api)?;
        if api == CAD {
            cad = Some(sizes);
        }
    }
    cad.context("crates/wasm (the sonoran-cad package) is missing")
}

/// Builds `api`'s package into [`pkg_dir`].
pub fn build_api(root: &Path, api: &Api) -> Result<Sizes> {
    let krate = wasm_crate(api);
    println!("==> cargo build -p {krate} (wasm32, profile wasm-release)");
    run(
        "cargo build",
        cargo().current_dir(root).args([
            "build",
            "-p",
            &krate,
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
        ]),
    )?;
    let built = crate::target_dir(root).join(format!(
        "wasm32-unknown-unknown/wasm-release/{}.wasm",
        krate.replace('-', "_")
    ));
    let pkg = root.join(pkg_dir(api));
    if pkg.exists() {
        std::fs::remove_dir_all(&pkg).with_context(|| format!("clearing {}", pkg.display()))?;
    }
    let module = module(api);
    let out_name = api.package_name.replace('-', "_");
    let bound = crate::target_dir(root).join(format!("wasm-bindgen-web-{}", api.id));
    println!("==> wasm-bindgen --target web");
    run(
        "wasm-bindgen",
        Command::new("wasm-bindgen")
            // `--out-name`: the glue's own fallback URL then names the file the package ships.
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                &out_name,
                "--out-dir",
            ])
            .arg(&bound)
            .arg(&built),
    )?;
    std::fs::create_dir_all(&pkg)?;
    let wasm_opt = root.join(CRATE).join("node_modules/.bin/wasm-opt");
    println!("==> wasm-opt -Oz");
    run(
        "wasm-opt",
        Command::new(&wasm_opt)
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
            ])
            .args([
                "--enable-mutable-globals",
                "--enable-reference-types",
                "--enable-multivalue",
            ])
            .arg(bound.join(&module))
            .arg("-o")
            .arg(pkg.join(&module)),
    )?;
    let glue = std::fs::read_to_string(bound.join(format!("{out_name}.js")))?;
    std::fs::write(pkg.join("glue.mjs"), &glue)?;
    std::fs::write(
        pkg.join("glue.cjs"),
        commonjs(&glue, "wasm-bindgen's glue")?,
    )?;
    let shared = root.join(SHARED_JS);
    let js = root.join(api.npm_dir).join("js");
    let read = |dir: &Path, from: &str| {
        std::fs::read_to_string(dir.join(from))
            .with_context(|| format!("reading {}", dir.join(from).display()))
    };
    let core = fill(&read(&shared, "core.mjs")?, api);
    let operations = read(&js, "generated/operations.mjs")?;
    let enums = read(&js, "generated/enums.mjs")?;
    for (name, text, from) in [
        ("core", &core, "core.mjs"),
        ("operations", &operations, "generated/operations.mjs"),
        ("enums", &enums, "generated/enums.mjs"),
    ] {
        std::fs::write(pkg.join(format!("{name}.mjs")), text)?;
        std::fs::write(pkg.join(format!("{name}.cjs")), commonjs(text, from)?)?;
    }
    // `<package>/events`: its own entry, so that REST-only users load none of it.
    let events = fill(&read(&shared, "events.mjs")?, api)
        .replace("'./generated/events.mjs'", "'./event-schemas.mjs'");
    let schemas = read(&js, "generated/events.mjs")?;
    for (name, text, from) in [
        ("events", &events, "events.mjs"),
        ("event-schemas", &schemas, "generated/events.mjs"),
    ] {
        std::fs::write(pkg.join(format!("{name}.mjs")), text)?;
        std::fs::write(pkg.join(format!("{name}.cjs")), commonjs(text, from)?)?;
    }
    let event_types = read(&js, "generated/events.d.ts")?;
    std::fs::write(pkg.join("events.d.cts"), &event_types)?;
    std::fs::write(pkg.join("events.d.mts"), &event_types)?;
    // For resolvers without `exports` (TypeScript's node10): the folder names the CommonJS copy.
    std::fs::create_dir_all(pkg.join("events"))?;
    std::fs::write(
        pkg.join("events/package.json"),
        "{\n  \"private\": true,\n  \"main\": \"../events.cjs\",\n  \"types\": \"../events.d.cts\"\n}\n",
    )?;
    for file in ["index.cjs", "index.mjs", "browser.mjs"] {
        std::fs::write(pkg.join(file), fill(&read(&shared, file)?, api))?;
    }
    let mut own = vec!["README.md"];
    if *api == CAD {
        own.extend(["websocket.mjs", "websocket.d.mts"]);
        websocket_commonjs(&js, &pkg)?;
    }
    for file in own {
        std::fs::copy(js.join(file), pkg.join(file))
            .with_context(|| format!("copying {}/js/{file}", api.npm_dir))?;
    }
    // One declaration file per module kind, so that each entry's types match its format.
    let types = read(&js, "generated/types.d.ts")?;
    std::fs::write(pkg.join("index.d.cts"), &types)?;
    std::fs::write(pkg.join("index.d.mts"), &types)?;
    std::fs::write(
        pkg.join("package.json"),
        package_json(api, env!("CARGO_PKG_VERSION")),
    )?;
    let sizes = sizes_of(root, api)?;
    println!("==> {}: {sizes}", pkg_dir(api));
    Ok(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commonjs_exports_what_the_module_exports() {
        let cjs = commonjs(
            "export class A extends Error {}\nconst x = 1;\nexport function wrap(R) {}\nexport async function go() {}\nexport const B = 2;\nexport { initSync, init as default };\n",
            "t",
        )
        .unwrap();
        assert!(cjs.contains("class A extends Error {}") && cjs.contains("function wrap(R) {}"));
        assert!(cjs.contains("\nasync function go() {}"), "{cjs}");
        assert!(
            cjs.ends_with("module.exports = { A, wrap, go, B, initSync, default: init };\n"),
            "{cjs}"
        );
        assert!(commonjs("import x from 'y';\n", "t").is_err());
        let named = commonjs(
            "import { a, b } from './t.mjs';\nimport { c } from 'node:crypto';\n",
            "t",
        )
        .unwrap();
        assert!(
            named.contains("const { a, b } = require('./t.cjs');"),
            "{named}"
        );
        assert!(
            named.contains("const { c } = require('node:crypto');"),
            "{named}"
        );
    }

    #[test]
    fn templates_get_the_api_names() {
        use sonoran_spec::api::CMS;
        let t =
            "new @Class@ from '@package@' ('@module@', @push_path@) {{ A/*@envelope@, metaOf@*/ }}";
        assert_eq!(
            fill(t, &CAD),
            "new SonoranClient from 'sonoran-cad' ('sonoran_cad_bg.wasm', /sonorancad/event) {{ A }}"
        );
        assert_eq!(
            fill(t, &CMS),
            "new SonoranCms from 'sonoran-cms' ('sonoran_cms_bg.wasm', /sonorancms/events) {{ A, metaOf }}"
        );
        assert!(other_package_json(&CMS, "0.1.0").contains("\"name\": \"sonoran-cms\""));
    }

    #[test]
    fn the_locked_wasm_bindgen_version_is_found() {
        let v = locked_wasm_bindgen(&crate::repo_root()).unwrap();
        assert!(v.starts_with("0.2."), "{v}");
    }
}
