//! `cargo xtask test`: every check the project has, in the order that fails fastest,
//! installing what it needs first (CI starts from a clean clone on a bare machine).

use crate::cargo;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::Command;

const WASM_TARGET: &str = "wasm32-unknown-unknown";

fn step(name: &str, cmd: &mut Command) -> Result<()> {
    println!("\n==> {name}");
    crate::run(name, cmd)
}

pub fn ensure_wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is needed to add the wasm32 target")?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == WASM_TARGET)
    {
        return Ok(());
    }
    step(
        "rustup target add wasm32-unknown-unknown",
        Command::new("rustup").args(["target", "add", WASM_TARGET]),
    )
}

pub fn run(root: &Path) -> Result<()> {
    ensure_wasm_target()?;
    step(
        "cargo fmt --check",
        cargo()
            .current_dir(root)
            .args(["fmt", "--all", "--", "--check"]),
    )?;
    step(
        "cargo clippy",
        cargo().current_dir(root).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    println!("\n==> cargo xtask regen --check");
    print!("{}", crate::regen::run(root, true)?);
    step(
        "cargo build (wasm32)",
        cargo().current_dir(root).args([
            "build",
            "-p",
            "sonoran-cad",
            "--target",
            WASM_TARGET,
            "--no-default-features",
        ]),
    )?;
    step(
        "quickstart example (against the in-process fake server)",
        cargo()
            .current_dir(root)
            .args([
                "run",
                "--quiet",
                "-p",
                "sonoran-cad",
                "--example",
                "quickstart",
            ])
            .env_remove("SONORAN_BASE_URL")
            .env_remove("SONORAN_API_KEY")
            .env_remove("SONORAN_COMMUNITY_ID"),
    )?;
    // The npm package: built when stale, then Node, TypeScript and headless Chromium
    // against the fake server.
    crate::js_tests::run(root)?;
    // Last, so that its summary lines close the output.
    step(
        "cargo test --workspace",
        cargo().current_dir(root).args(["test", "--workspace"]),
    )?;
    Ok(())
}
