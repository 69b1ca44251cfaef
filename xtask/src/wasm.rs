//! `cargo xtask wasm`: the npm package `sonoran-cad` in `crates/wasm/pkg/`.
//!
//! Installs what it needs when missing (the wasm32 target, the wasm-bindgen CLI at the
//! version Cargo.lock pins, the npm dev tools of crates/wasm), builds the wasm crate with
//! the size profile, binds it twice (Node: CommonJS; web: ES module), shrinks both modules
//! with binaryen's wasm-opt (Debian's wasm-opt 108 produces broken modules), and writes
//! the package around them.

use crate::{cargo, run};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

pub const PKG: &str = "crates/wasm/pkg";
const CRATE: &str = "crates/wasm";
const WASM_NAME: &str = "sonoran_cad_wasm";

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

/// `npm ci` in crates/wasm when its tools are missing.
pub fn ensure_npm_tools(root: &Path) -> Result<()> {
    let dir = root.join(CRATE);
    if dir.join("node_modules/.bin/wasm-opt").exists() && dir.join("node_modules/.bin/tsc").exists()
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

pub fn sizes(root: &Path) -> Result<Sizes> {
    let pkg = root.join(PKG).join("web");
    let wasm = pkg.join(format!("{WASM_NAME}_bg.wasm"));
    let glue = pkg.join(format!("{WASM_NAME}.js"));
    Ok(Sizes {
        wasm: std::fs::metadata(&wasm)?.len(),
        wasm_gz: gzip_size(&wasm)?,
        glue: std::fs::metadata(&glue)?.len(),
        glue_gz: gzip_size(&glue)?,
    })
}

fn package_json(version: &str) -> String {
    format!(
        r#"{{
  "name": "sonoran-cad",
  "version": "{version}",
  "description": "Typed client for the Sonoran CAD API (v1 and v2) for Node and browsers, generated from the API docs; Rust compiled to WebAssembly.",
  "license": "MIT OR Apache-2.0",
  "keywords": ["sonoran", "sonorancad", "cad", "fivem", "api", "client", "wasm"],
  "main": "./index.cjs",
  "module": "./browser.mjs",
  "types": "./index.d.ts",
  "exports": {{
    ".": {{
      "browser": {{ "types": "./browser.d.ts", "default": "./browser.mjs" }},
      "import": {{ "types": "./index.d.ts", "default": "./index.mjs" }},
      "require": {{ "types": "./index.d.ts", "default": "./index.cjs" }}
    }},
    "./package.json": "./package.json"
  }},
  "engines": {{ "node": ">=18" }},
  "sideEffects": ["./browser.mjs"],
  "files": ["index.cjs", "index.mjs", "index.d.ts", "browser.mjs", "browser.d.ts", "core.cjs", "core.mjs", "node/", "web/", "README.md"]
}}
"#
    )
}

/// core.mjs as CommonJS, so that `require` works on Node versions that cannot require ESM.
fn commonjs(esm: &str) -> String {
    let mut names = Vec::new();
    let mut out =
        String::from("'use strict';\n// Generated by `cargo xtask wasm` from core.mjs.\n");
    for line in esm.lines() {
        let line = if let Some(rest) = line.strip_prefix("export class ") {
            names.push(
                rest.split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            );
            format!("class {rest}")
        } else if let Some(rest) = line.strip_prefix("export function ") {
            names.push(rest.split('(').next().unwrap_or_default().to_string());
            format!("function {rest}")
        } else {
            line.to_string()
        };
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&format!("\nmodule.exports = {{ {} }};\n", names.join(", ")));
    out
}

pub fn build(root: &Path) -> Result<Sizes> {
    crate::test_all::ensure_wasm_target()?;
    ensure_wasm_bindgen_cli(&locked_wasm_bindgen(root)?)?;
    ensure_npm_tools(root)?;
    println!("==> cargo build (wasm32, profile wasm-release)");
    run(
        "cargo build",
        cargo().current_dir(root).args([
            "build",
            "-p",
            "sonoran-cad-wasm",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
        ]),
    )?;
    let module = crate::target_dir(root).join(format!(
        "wasm32-unknown-unknown/wasm-release/{WASM_NAME}.wasm"
    ));
    let pkg = root.join(PKG);
    if pkg.exists() {
        std::fs::remove_dir_all(&pkg).with_context(|| format!("clearing {}", pkg.display()))?;
    }
    let wasm_opt = root.join(CRATE).join("node_modules/.bin/wasm-opt");
    for (target, dir) in [("nodejs", "node"), ("web", "web")] {
        println!("==> wasm-bindgen --target {target}");
        run(
            "wasm-bindgen",
            Command::new("wasm-bindgen")
                .args(["--target", target, "--out-dir"])
                .arg(pkg.join(dir))
                .arg(&module),
        )?;
    }
    // Both targets get the same module: shrink it once, use it twice.
    let node_bg = pkg.join("node").join(format!("{WASM_NAME}_bg.wasm"));
    let web_bg = pkg.join("web").join(format!("{WASM_NAME}_bg.wasm"));
    if std::fs::read(&node_bg)? != std::fs::read(&web_bg)? {
        bail!("wasm-bindgen emitted different modules for node and web; shrink each separately");
    }
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
            .arg(&node_bg)
            .arg("-o")
            .arg(&node_bg),
    )?;
    std::fs::copy(&node_bg, &web_bg)?;
    std::fs::write(pkg.join("web/package.json"), "{ \"type\": \"module\" }\n")?;
    let js = root.join(CRATE).join("js");
    for file in [
        "core.mjs",
        "index.cjs",
        "index.mjs",
        "browser.mjs",
        "index.d.ts",
        "README.md",
    ] {
        std::fs::copy(js.join(file), pkg.join(file))
            .with_context(|| format!("copying js/{file}"))?;
    }
    // The browser build declares the same API, from its own glue.
    let types = std::fs::read_to_string(js.join("index.d.ts"))?;
    std::fs::write(
        pkg.join("browser.d.ts"),
        types.replace("./node/sonoran_cad_wasm.js", "./web/sonoran_cad_wasm.js"),
    )?;
    std::fs::write(
        pkg.join("core.cjs"),
        commonjs(&std::fs::read_to_string(js.join("core.mjs"))?),
    )?;
    std::fs::write(
        pkg.join("package.json"),
        package_json(env!("CARGO_PKG_VERSION")),
    )?;
    let sizes = sizes(root)?;
    println!("==> {PKG}: {sizes}");
    Ok(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commonjs_exports_what_the_module_exports() {
        let cjs =
            commonjs("export class A extends Error {}\nconst x = 1;\nexport function wrap(R) {}\n");
        assert!(cjs.contains("class A extends Error {}") && cjs.contains("function wrap(R) {}"));
        assert!(cjs.ends_with("module.exports = { A, wrap };\n"), "{cjs}");
    }

    #[test]
    fn the_locked_wasm_bindgen_version_is_found() {
        let v = locked_wasm_bindgen(&crate::repo_root()).unwrap();
        assert!(v.starts_with("0.2."), "{v}");
    }
}
