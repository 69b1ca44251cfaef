//! Project automation behind `cargo xtask`. A library so that tests can run the same
//! steps (the regen freshness check is also a `#[test]`).

pub mod bench;
pub mod fake;
pub mod js_tests;
pub mod mutants;
pub mod public_api;
pub mod publish;
pub mod push_listener;
pub mod regen;
pub mod test_all;
pub mod wasm;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (the folder holding `openapi/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repo")
        .to_path_buf()
}

/// `cargo`, the same one that runs xtask (so the same toolchain builds everything).
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Runs `cmd`, failing with a message that names `what` when it cannot start or fails.
pub fn run(what: &str, cmd: &mut Command) -> Result<()> {
    let status = cmd.status().with_context(|| format!("starting `{what}`"))?;
    if !status.success() {
        bail!("`{what}` failed ({status})");
    }
    Ok(())
}

/// Cargo's home (`$CARGO_HOME`, else `~/.cargo`); `None` when neither is set.
pub fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

/// Where cargo puts build output for the workspace at `root`.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// Installs Debian's `package` with apt-get (`update`, then `install -y`) unless
/// `present()` already holds, and checks that it holds afterwards. `needed_by` names what
/// needs it, for the messages.
pub fn ensure_apt_package(
    package: &str,
    needed_by: &str,
    present: &dyn Fn() -> bool,
) -> Result<()> {
    if present() {
        return Ok(());
    }
    println!(
        "\n==> {package} is missing ({needed_by}): apt-get update && apt-get install -y {package}"
    );
    for args in [&["update"][..], &["install", "-y", package][..]] {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .with_context(|| format!("starting apt-get ({needed_by} needs Debian's {package})"))?;
        if !status.success() {
            bail!(
                "`apt-get {}` failed ({status}); install {package} as root (apt-get install -y {package})",
                args.join(" ")
            );
        }
    }
    if !present() {
        bail!("apt-get installed {package} but it is still missing");
    }
    Ok(())
}

/// Whether `name` is an executable file on PATH.
pub fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
}
