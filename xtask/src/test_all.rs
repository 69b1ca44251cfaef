//! `cargo xtask test`: every check the project has, in the order that fails fastest,
//! installing what it needs first (CI starts from a clean clone on a bare machine).

use crate::cargo;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::Command;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Rate limits shared through Redis and the websocket API: off by default, linted and
/// tested here.
const OPTIONAL_FEATURES: &str = "sonoran-cad/redis,sonoran-cad/websocket";

pub(crate) fn step(name: &str, cmd: &mut Command) -> Result<()> {
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

/// [`run`] `repeat` times in a row, stopping at the first failure; with `load`, while two
/// busy threads (one per core of a 2-core machine) compete for the CPU the whole time, as
/// another build would. Prints each run's outcome and duration, then a summary.
pub fn run_repeated(root: &Path, repeat: u32, load: bool) -> Result<()> {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let burners: Vec<_> = if load {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        println!("==> load: {cores} busy threads for the whole run");
        (0..cores)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut x = 0u64;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        for i in 0..100_000u64 {
                            x = std::hint::black_box(
                                x.wrapping_mul(6364136223846793005).wrapping_add(i),
                            );
                        }
                    }
                    x
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut outcomes = Vec::new();
    let mut result = Ok(());
    for i in 1..=repeat {
        if repeat > 1 {
            println!("\n==> run {i} of {repeat}");
        }
        let started = std::time::Instant::now();
        let outcome = run(root);
        let secs = started.elapsed().as_secs();
        outcomes.push(format!(
            "run {i}: {} in {}m{:02}s",
            if outcome.is_ok() { "passed" } else { "FAILED" },
            secs / 60,
            secs % 60
        ));
        if let Err(e) = outcome {
            result = Err(e);
            break;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for b in burners {
        let _ = b.join();
    }
    if repeat > 1 || load {
        println!("\n==> summary{}", if load { " (under load)" } else { "" });
        for line in &outcomes {
            println!("{line}");
        }
    }
    result
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
    // The client once more with its optional features (code the default build leaves out).
    step(
        "cargo clippy -p sonoran-cad --features redis,websocket",
        cargo().current_dir(root).args([
            "clippy",
            "-p",
            "sonoran-cad",
            "--all-targets",
            "--features",
            "redis,websocket",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    println!("\n==> cargo xtask regen --check");
    print!("{}", crate::regen::run(root, true)?);
    // The other TLS choices of the client (its default, rustls with aws-lc-rs, is above).
    step(
        "cargo clippy -p sonoran-cad --no-default-features --features rustls-ring,native-tls",
        cargo().current_dir(root).args([
            "clippy",
            "-p",
            "sonoran-cad",
            "--all-targets",
            "--no-default-features",
            "--features",
            "rustls-ring,native-tls",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    println!("\n==> MSRV of the published crates' dependencies");
    print!("{}", crate::publish::check_msrv(root)?);
    ensure_cargo_machete()?;
    step(
        "cargo machete (no unused dependency)",
        // Run directly (as `cargo machete` through the toolchain's cargo it takes its own
        // subcommand name for a path).
        Command::new(machete_bin()).arg(root),
    )?;
    step(
        "cargo doc --workspace --no-deps (RUSTDOCFLAGS=-D warnings)",
        cargo()
            .current_dir(root)
            .env("RUSTDOCFLAGS", "-D warnings")
            .args([
                "doc",
                "--workspace",
                "--no-deps",
                "--features",
                OPTIONAL_FEATURES,
            ]),
    )?;
    step(
        "cargo build (wasm32: the typed client without TLS)",
        cargo().current_dir(root).args([
            "build",
            "-p",
            "sonoran-cad",
            "--target",
            WASM_TARGET,
            "--no-default-features",
            "--features",
            "http",
        ]),
    )?;
    step(
        "cargo test -p sonoran-cad --lib without TLS (an https base URL is refused at build time)",
        cargo().current_dir(root).args([
            "test",
            "-q",
            "-p",
            "sonoran-cad",
            "--lib",
            "--no-default-features",
            "--features",
            "http",
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
    crate::push_listener::run(root)?;
    // What a user gets: a new crate outside the workspace, and the packages themselves.
    crate::publish::scratch_crate(root)?;
    crate::publish::package_and_test(root)?;
    // The npm package: built when stale, then Node, TypeScript and headless Chromium
    // against the fake server.
    crate::js_tests::run(root)?;
    // The shared rate limiter's test runs its own redis-server.
    crate::ensure_apt_package("redis-server", "the shared rate limiter's test", &|| {
        crate::on_path("redis-server")
    })?;
    // Last, so that its summary lines close the output. One run, with the client's
    // `redis` and `websocket` features on (its default build is linted above and built for
    // wasm32).
    step(
        "cargo test --workspace --features sonoran-cad/redis,sonoran-cad/websocket",
        cargo()
            .current_dir(root)
            .args(["test", "--workspace", "--features", OPTIONAL_FEATURES]),
    )?;
    Ok(())
}

/// `cargo machete` (unused dependencies), installed from crates.io when missing.
fn ensure_cargo_machete() -> Result<()> {
    let present = Command::new(machete_bin())
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return Ok(());
    }
    step(
        "cargo install cargo-machete (missing)",
        cargo().args(["install", "--locked", "cargo-machete@0.9.2"]),
    )
}

/// `cargo-machete` where `cargo install` puts it (`$CARGO_HOME/bin`, else `~/.cargo/bin`).
fn machete_bin() -> std::path::PathBuf {
    crate::cargo_home().map_or_else(
        || "cargo-machete".into(),
        |home| home.join("bin/cargo-machete"),
    )
}
