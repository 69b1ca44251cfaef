//! `cargo xtask wasm`: the npm packages, one per API whose npm folder exists: `sonoran-cad`
//! in `crates/wasm/pkg/`, `sonoran-cms` in `crates/cms-wasm/pkg/`.
//!
//! Installs what it needs when missing (the wasm32 target, the wasm-bindgen CLI at the
//! version Cargo.lock pins, the npm dev tools of crates/wasm), builds each API's wasm crate
//! (its tables over the shared `crates/wasm-core`) with the size profile, binds it for the
//! web target (Node's CommonJS copy is made from it), shrinks the module with binaryen's
//! wasm-opt (Debian's wasm-opt 108 produces broken modules), and writes the package around
//! it: the API's own `package.json` and README (`<npm_dir>/js/`), the shared JS of
//! `crates/wasm-core/js/` with the API's names filled in, bundled with the API's generated JS
//! by esbuild (one CommonJS file for Node, which the ES module entry re-exports, so that
//! `require` and `import` give the same classes; one ES module for browsers and bundlers),
//! and the declarations: the shared, hand-written `core.d.ts`, `index.d.ts` and `events.d.ts`
//! beside the API's generated `types.d.ts` and `events.d.ts` (shipped as `event-types`), each
//! as `.d.cts` and `.d.mts`.

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

/// The npm dev tools the build and the tests run from crates/wasm/node_modules/.bin.
const NPM_TOOLS: [&str; 5] = ["wasm-opt", "tsc", "attw", "vite", "esbuild"];

/// `npm ci` in crates/wasm when its tools are missing, or when package-lock.json changed
/// since they were installed (npm's own `node_modules/.package-lock.json` is older).
pub fn ensure_npm_tools(root: &Path) -> Result<()> {
    let dir = root.join(CRATE);
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let installed = modified(&dir.join("node_modules/.package-lock.json"));
    let locked = modified(&dir.join("package-lock.json"));
    let current = matches!((installed, locked), (Some(i), Some(l)) if i >= l);
    if current
        && NPM_TOOLS
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
    // What a browser loads besides the module: its entry, which esbuild bundled with the
    // glue, the shared core and the tables of names and enum values.
    let js = pkg.join("browser.mjs");
    Ok(Sizes {
        wasm: std::fs::metadata(&wasm)?.len(),
        wasm_gz: gzip_size(&wasm)?,
        glue: std::fs::metadata(&js)?.len(),
        glue_gz: gzip_size(&js)?,
    })
}

/// What a browser may download of a package, gzipped: the module and its JS (100 KB).
pub const GZIP_BUDGET: u64 = 100_000;

/// Fails when `api`'s package is over [`GZIP_BUDGET`].
fn within_budget(api: &Api, sizes: &Sizes) -> Result<()> {
    let total = sizes.wasm_gz + sizes.glue_gz;
    if total > GZIP_BUDGET {
        bail!(
            "{}: {total} bytes gzipped (the module and browser.mjs), over the budget of {GZIP_BUDGET} bytes",
            api.package_name
        );
    }
    Ok(())
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

/// `api`'s `package.json` (`<npm_dir>/js/package.json`, a file of its own), checked against
/// the API: its name is the package's and its version the workspace's.
fn package_json(root: &Path, api: &Api, version: &str) -> Result<String> {
    let path = root.join(api.npm_dir).join("js/package.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    check_package_json(&text, api, version).with_context(|| format!("{}", path.display()))?;
    Ok(text)
}

/// What [`package_json`] checks.
fn check_package_json(text: &str, api: &Api, version: &str) -> Result<()> {
    let v: serde_json::Value = serde_json::from_str(text).context("not JSON")?;
    if v["name"] != api.package_name {
        bail!("`name` is {}, expected \"{}\"", v["name"], api.package_name);
    }
    if v["version"] != version {
        bail!(
            "`version` is {}, expected the workspace's \"{version}\" (Cargo.toml)",
            v["version"]
        );
    }
    let files = v["files"].as_array().context("no `files` list")?;
    for must in ["package.json", "index.cjs", "index.mjs", "browser.mjs"] {
        if must != "package.json" && !files.iter().any(|f| f == must) {
            bail!("`files` does not list {must}");
        }
    }
    if !files.iter().any(|f| *f == module(api)) {
        bail!("`files` does not list the module {}", module(api));
    }
    Ok(())
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

/// What esbuild makes of an entry.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bundle {
    /// One CommonJS file for Node 18+.
    Node,
    /// One ES module for browsers and bundlers (es2022: the client uses private fields).
    Browser,
}

/// `entry` and what it imports as one file, by esbuild (crates/wasm's dev tools).
fn bundle(root: &Path, entry: &Path, out: &Path, kind: Bundle) -> Result<()> {
    let esbuild = root.join(CRATE).join("node_modules/.bin/esbuild");
    let mut cmd = Command::new(&esbuild);
    cmd.arg(entry)
        .arg(format!("--outfile={}", out.display()))
        .args(["--bundle", "--log-level=warning", "--legal-comments=none"]);
    match kind {
        Bundle::Node => {
            cmd.args([
                "--format=cjs",
                "--platform=node",
                "--target=node18",
                // The glue's fallback URL of the module (not taken: Node passes the bytes) and
                // any other `import.meta.url`: this file's URL, as in the ES module.
                "--define:import.meta.url=__import_meta_url",
                "--banner:js='use strict';\nconst __import_meta_url = require('node:url').pathToFileURL(__filename).href;",
            ]);
        }
        Bundle::Browser => {
            // What a browser downloads: whitespace and syntax minified (about 2.5 KB of the
            // 100 KB gzipped budget), names kept, so stack traces and `.name`s still read.
            cmd.args([
                "--format=esm",
                "--platform=browser",
                "--target=es2022",
                "--minify-whitespace",
                "--minify-syntax",
            ]);
        }
    }
    println!(
        "==> esbuild {} -> {}",
        entry.file_name().unwrap_or_default().to_string_lossy(),
        out.file_name().unwrap_or_default().to_string_lossy()
    );
    run("esbuild", &mut cmd)
}

/// A declaration file for the module kind `ext` (`cts`, `mts`): its relative imports
/// (`from './core.js'`) name the declarations of the same kind (`'./core.cjs'`).
fn declarations_for(text: &str, ext: &str) -> String {
    let js = &ext[..1];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("from './") {
        let (before, after) = rest.split_at(at + "from './".len());
        out.push_str(before);
        match after.find('\'') {
            Some(end) if after[..end].ends_with(".js") || after[..end].ends_with(".mjs") => {
                let name = after[..end]
                    .trim_end_matches(".js")
                    .trim_end_matches(".mjs");
                out.push_str(&format!("{name}.{js}js"));
                rest = &after[end..];
            }
            _ => rest = after,
        }
    }
    out.push_str(rest);
    out
}

/// `require('sonoran-cad/websocket')`: websocket.mjs turned into CommonJS by esbuild (a
/// transform, not a bundle: it requires `./events.cjs`, the same build `require('sonoran-cad/events')`
/// gives, and @microsoft/signalr's own CommonJS build), its declarations as .d.cts (the event
/// types from events.d.cts), and websocket/package.json for resolvers without `exports`.
fn websocket_commonjs(root: &Path, js: &Path, pkg: &Path) -> Result<()> {
    let read = |from: &str| {
        std::fs::read_to_string(js.join(from))
            .with_context(|| format!("reading {}", js.join(from).display()))
    };
    let esm = read("websocket.mjs")?;
    if !esm.contains("from './events.mjs'") {
        bail!("websocket.mjs no longer imports './events.mjs': update websocket_commonjs");
    }
    // The CommonJS copy requires the CommonJS events build, so both entries share its classes.
    let staged = pkg.join("websocket.cjs.src.mjs");
    std::fs::write(
        &staged,
        esm.replace("from './events.mjs'", "from './events.cjs'"),
    )?;
    let esbuild = root.join(CRATE).join("node_modules/.bin/esbuild");
    let outcome = run(
        "esbuild websocket.mjs -> websocket.cjs",
        Command::new(&esbuild).arg(&staged).args([
            &format!("--outfile={}", pkg.join("websocket.cjs").display()),
            "--format=cjs",
            "--platform=node",
            "--target=node18",
            "--log-level=warning",
            "--legal-comments=none",
            "--banner:js='use strict';",
        ]),
    );
    std::fs::remove_file(&staged)?;
    outcome?;
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
    // The sources esbuild bundles: the glue, the shared templates filled with the API's
    // names, the API's generated modules.
    let src = crate::target_dir(root).join(format!("npm-src-{}", api.id));
    if src.exists() {
        std::fs::remove_dir_all(&src)?;
    }
    std::fs::create_dir_all(src.join("generated"))?;
    std::fs::copy(bound.join(format!("{out_name}.js")), src.join("glue.mjs"))?;
    let shared = root.join(SHARED_JS);
    let js = root.join(api.npm_dir).join("js");
    let read = |dir: &Path, from: &str| {
        std::fs::read_to_string(dir.join(from))
            .with_context(|| format!("reading {}", dir.join(from).display()))
    };
    let version = env!("CARGO_PKG_VERSION");
    for file in [
        "core.mjs",
        "node.mjs",
        "browser.mjs",
        "events.mjs",
        "transport.mjs",
    ] {
        let text = fill(&read(&shared, file)?, api).replace("@version@", version);
        std::fs::write(src.join(file), text)?;
    }
    for file in ["operations.mjs", "enums.mjs", "events.mjs"] {
        std::fs::copy(
            js.join("generated").join(file),
            src.join("generated").join(file),
        )
        .with_context(|| format!("copying {}/js/generated/{file}", api.npm_dir))?;
    }
    // Node: one CommonJS file per entry (`require`); the ES module entries re-export it.
    bundle(
        root,
        &src.join("node.mjs"),
        &pkg.join("index.cjs"),
        Bundle::Node,
    )?;
    bundle(
        root,
        &src.join("events.mjs"),
        &pkg.join("events.cjs"),
        Bundle::Node,
    )?;
    // Browsers and bundlers: one ES module, which loads the `.wasm` beside it.
    bundle(
        root,
        &src.join("browser.mjs"),
        &pkg.join("browser.mjs"),
        Bundle::Browser,
    )?;
    // The ES module entries for Node are the CommonJS ones re-exported (one copy of every
    // class, whichever way it is loaded: no dual-package hazard).
    for file in ["index.mjs", "events.mjs"] {
        let text = fill(&read(&shared.join("entries"), file)?, api);
        std::fs::write(pkg.join(file), text)?;
    }
    // For resolvers without `exports` (TypeScript's node10): the folder names the CommonJS copy.
    std::fs::create_dir_all(pkg.join("events"))?;
    std::fs::write(
        pkg.join("events/package.json"),
        "{\n  \"private\": true,\n  \"main\": \"../events.cjs\",\n  \"types\": \"../events.d.cts\"\n}\n",
    )?;
    // Declarations: one file per module kind, so that each entry's types match its format.
    for (name, text) in [
        ("index", read(&shared, "index.d.ts")?),
        ("core", read(&shared, "core.d.ts")?),
        ("types", read(&js, "generated/types.d.ts")?),
        ("events", read(&shared, "events.d.ts")?),
        ("event-types", read(&js, "generated/events.d.ts")?),
    ] {
        for ext in ["cts", "mts"] {
            std::fs::write(
                pkg.join(format!("{name}.d.{ext}")),
                declarations_for(&text, ext),
            )?;
        }
    }
    let mut own = vec!["README.md"];
    if *api == CAD {
        own.extend(["websocket.mjs", "websocket.d.mts"]);
        websocket_commonjs(root, &js, &pkg)?;
    }
    for file in own {
        std::fs::copy(js.join(file), pkg.join(file))
            .with_context(|| format!("copying {}/js/{file}", api.npm_dir))?;
    }
    std::fs::write(pkg.join("package.json"), package_json(root, api, version)?)?;
    let sizes = sizes_of(root, api)?;
    println!("==> {}: {sizes}", pkg_dir(api));
    within_budget(api, &sizes)?;
    Ok(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_name_their_own_kind() {
        let text = "export * from './core.js';\nimport type { A } from './types.js';\nimport x from 'lib';\nexport * from './events.mjs';\n";
        assert_eq!(
            declarations_for(text, "cts"),
            "export * from './core.cjs';\nimport type { A } from './types.cjs';\nimport x from 'lib';\nexport * from './events.cjs';\n"
        );
        assert!(declarations_for(text, "mts").contains("from './types.mjs'"));
    }

    #[test]
    fn every_package_json_is_its_api_s() {
        let root = crate::repo_root();
        for api in apis(&root) {
            let text = package_json(&root, &api, env!("CARGO_PKG_VERSION")).unwrap();
            assert!(text.contains(&module(&api)), "{}", api.package_name);
        }
        let cad = std::fs::read_to_string(root.join("crates/wasm/js/package.json")).unwrap();
        let err = check_package_json(&cad, &CAD, "9.9.9").unwrap_err();
        assert!(err.to_string().contains("9.9.9"), "{err}");
        let err = check_package_json(&cad, &sonoran_spec::api::CMS, "0.1.0").unwrap_err();
        assert!(err.to_string().contains("sonoran-cms"), "{err}");
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
    }

    #[test]
    fn a_package_over_its_budget_fails_the_build() {
        let sizes = |wasm_gz, glue_gz| Sizes {
            wasm: 0,
            wasm_gz,
            glue: 0,
            glue_gz,
        };
        assert!(within_budget(&CAD, &sizes(80_000, 20_000)).is_ok());
        let e = within_budget(&CAD, &sizes(80_000, 20_001)).unwrap_err();
        assert!(e.to_string().contains("sonoran-cad: 100001 bytes"), "{e}");
    }

    #[test]
    fn the_locked_wasm_bindgen_version_is_found() {
        let v = locked_wasm_bindgen(&crate::repo_root()).unwrap();
        assert!(v.starts_with("0.2."), "{v}");
    }
}
