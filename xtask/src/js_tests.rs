//! The npm packages' tests. `sonoran-cad` (crates/wasm/tests/): Node tests, a strict TypeScript
//! consumer and a headless-chromium page, all against the fake Sonoran server started
//! in-process. `sonoran-cms` (crates/cms-wasm/tests/): Node tests, attw, and a chromium page
//! against loopback servers of their own, and a strict TypeScript consumer. Each package's
//! equivalence test replays what the typed Rust client's own test recorded just before.
//!
//! Installs what it needs: builds the package when it is missing or older than its sources,
//! runs `npm ci` for the dev tools, and installs Debian's chromium with apt-get.

use anyhow::{Context, Result, bail};
use sonoran_fake::FakeServer;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime};

const CHROMIUM: &str = "/usr/bin/chromium";
/// What the packages are built from: a newer file here means a package is stale.
const SOURCES: [&str; 9] = [
    "crates/wasm-core/src",
    "crates/wasm-core/js",
    "crates/wasm/src",
    "crates/wasm/js",
    "crates/cms-wasm/src",
    "crates/cms-wasm/js",
    "crates/runtime/src",
    "crates/client/src",
    "crates/cms/src",
];
/// CMS's package, and its tests (which need no fake: they serve their own replies).
const CMS_PKG: &str = "crates/cms-wasm/pkg";

pub fn run(root: &Path) -> Result<()> {
    if let Some(why) = package_stale(root)? {
        println!("\n==> cargo xtask wasm ({why})");
        crate::wasm::build(root)?;
    }
    crate::wasm::ensure_npm_tools(root)?;
    ensure_chromium()?;
    // The npm transport's https test makes its certificate with the openssl command.
    crate::ensure_apt_package("openssl", "the npm transport's https test", &|| {
        crate::on_path("openssl")
    })?;
    // The typed Rust client's side of the equivalence test: every operation's request as it
    // sends it, written to target/npm-equivalence/ for equivalence.test.mjs to compare.
    println!(
        "\n==> cargo test -p sonoran-cad --test npm_equivalence (the Rust side of the equivalence test)"
    );
    crate::run(
        "cargo test --test npm_equivalence",
        crate::cargo().current_dir(root).args([
            "test",
            "-q",
            "-p",
            "sonoran-cad",
            "--test",
            "npm_equivalence",
        ]),
    )?;

    // The same for CMS: every operation's request as the typed Rust client sends it (and
    // checked against its docs page's example), written to target/npm-equivalence/ for
    // crates/cms-wasm/tests/node/equivalence.test.mjs.
    println!(
        "\n==> cargo test -p sonoran-cms --test npm_equivalence (the Rust side of the CMS equivalence test)"
    );
    crate::run(
        "cargo test -p sonoran-cms --test npm_equivalence",
        crate::cargo().current_dir(root).args([
            "test",
            "-q",
            "-p",
            "sonoran-cms",
            "--test",
            "npm_equivalence",
        ]),
    )?;

    let fake = InProcessFake::start()?;
    println!("\n==> fake Sonoran server on {}", fake.url);
    let wasm = root.join("crates/wasm");
    let steps: [(&str, PathBuf, Vec<&str>); 8] = [
        (
            "node --test crates/wasm/tests/node/",
            "node".into(),
            // One file at a time: they share the fake (its recorded requests and faults).
            // The timeout is a hang guard, not a speed assertion: the 500-unit burst test
            // needs >= 5 s of real hub pacing and took over 30 s on a loaded 2-core machine.
            vec![
                "--test",
                "--test-concurrency=1",
                "--test-timeout=120000",
                "--test-reporter=spec",
                "crates/wasm/tests/node/",
            ],
        ),
        (
            "tsc -p crates/wasm/tests/ts",
            wasm.join("node_modules/.bin/tsc"),
            vec!["-p", "crates/wasm/tests/ts"],
        ),
        (
            "node --test crates/cms-wasm/tests/node/",
            "node".into(),
            vec![
                "--test",
                "--test-timeout=120000",
                "--test-reporter=spec",
                "crates/cms-wasm/tests/node/",
            ],
        ),
        (
            "tsc -p crates/cms-wasm/tests/ts",
            wasm.join("node_modules/.bin/tsc"),
            vec!["-p", "crates/cms-wasm/tests/ts"],
        ),
        (
            "attw --pack crates/cms-wasm/pkg (@arethetypeswrong/cli)",
            wasm.join("node_modules/.bin/attw"),
            vec!["--pack", "crates/cms-wasm/pkg"],
        ),
        (
            "node crates/wasm/tests/browser/run.mjs (chromium)",
            "node".into(),
            vec!["crates/wasm/tests/browser/run.mjs"],
        ),
        (
            "node crates/cms-wasm/tests/browser/run.mjs (chromium)",
            "node".into(),
            vec!["crates/cms-wasm/tests/browser/run.mjs"],
        ),
        (
            "node crates/wasm/tests/package/run.mjs (npm pack, install, tsc, attw, vite)",
            "node".into(),
            vec!["crates/wasm/tests/package/run.mjs"],
        ),
    ];
    for (name, program, args) in steps {
        println!("\n==> {name}");
        let started = Instant::now();
        let status = Command::new(&program)
            .args(&args)
            .current_dir(root)
            .env("SONORAN_FAKE_URL", &fake.url)
            .status()
            .with_context(|| format!("npm package tests: starting `{name}`"))?;
        if !status.success() {
            bail!("npm package tests: `{name}` failed ({status})");
        }
        println!("--> {name}: ok in {:.1} s", started.elapsed().as_secs_f64());
    }
    fake.stop()
}

/// Why the packages (crates/wasm/pkg, crates/cms-wasm/pkg) must be (re)built, or `None` when
/// they are up to date.
fn package_stale(root: &Path) -> Result<Option<String>> {
    let mut built = None;
    for pkg in [crate::wasm::PKG, CMS_PKG] {
        let manifest = root.join(pkg).join("package.json");
        let Ok(time) = std::fs::metadata(&manifest).and_then(|m| m.modified()) else {
            return Ok(Some(format!("{pkg} is missing")));
        };
        built = Some(built.map_or(time, |b: SystemTime| b.min(time)));
    }
    let Some(built) = built else {
        return Ok(None);
    };
    for dir in SOURCES {
        if let Some((newest, path)) = newest_file(&root.join(dir))?
            && newest > built
        {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            return Ok(Some(format!("{rel} is newer than the package")));
        }
    }
    Ok(None)
}

fn newest_file(dir: &Path) -> Result<Option<(SystemTime, PathBuf)>> {
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
        };
        for entry in entries {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                todo.push(entry.path());
            } else if let Ok(modified) = meta.modified()
                && newest.as_ref().is_none_or(|(t, _)| modified > *t)
            {
                newest = Some((modified, entry.path()));
            }
        }
    }
    Ok(newest)
}

/// Debian's chromium for the browser test (playwright-core drives it; no browser download).
fn ensure_chromium() -> Result<()> {
    crate::ensure_apt_package("chromium", "the browser test", &|| {
        Path::new(CHROMIUM).exists()
    })
}

/// The fake Sonoran server on a multi-thread tokio runtime of its own, on a background
/// thread, until [`InProcessFake::stop`] (or drop).
struct InProcessFake {
    url: String,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl InProcessFake {
    fn start() -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the tokio runtime for the fake server")?;
        let (url_tx, url_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sonoran-fake".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let fake = FakeServer::builder().start().await;
                    let _ = url_tx.send(fake.url());
                    // Until stop() sends or the handle is dropped.
                    let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
                    fake.shutdown().await;
                });
            })
            .context("spawning the fake server's thread")?;
        let url = url_rx
            .recv()
            .context("the fake Sonoran server did not start")?;
        Ok(Self {
            url,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            thread
                .join()
                .map_err(|_| anyhow::anyhow!("the fake server's thread panicked"))?;
        }
        Ok(())
    }
}

impl Drop for InProcessFake {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    /// The whole npm test run, on demand: `cargo test -p xtask --lib js_tests -- --ignored
    /// --nocapture` (`cargo xtask test` runs it through `js_tests::run`).
    #[test]
    #[ignore = "slow: builds the package when stale, installs chromium, starts a browser"]
    fn npm_package_tests() {
        super::run(&crate::repo_root()).unwrap();
    }

    #[test]
    fn the_package_is_stale_when_a_source_is_newer() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert!(
            super::package_stale(root)
                .unwrap()
                .unwrap()
                .contains("missing")
        );
        std::fs::create_dir_all(root.join("crates/wasm/pkg")).unwrap();
        std::fs::create_dir_all(root.join("crates/client/src/generated")).unwrap();
        std::fs::write(root.join("crates/wasm/pkg/package.json"), "{}").unwrap();
        let why = super::package_stale(root).unwrap().unwrap();
        assert!(why.contains("crates/cms-wasm/pkg is missing"), "{why}");
        std::fs::create_dir_all(root.join("crates/cms-wasm/pkg")).unwrap();
        std::fs::write(root.join("crates/cms-wasm/pkg/package.json"), "{}").unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        for pkg in ["crates/wasm/pkg", "crates/cms-wasm/pkg"] {
            std::fs::File::options()
                .write(true)
                .open(root.join(pkg).join("package.json"))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        assert_eq!(super::package_stale(root).unwrap(), None);
        std::fs::write(root.join("crates/client/src/generated/x.rs"), "").unwrap();
        let why = super::package_stale(root).unwrap().unwrap();
        assert!(why.contains("crates/client/src/generated/x.rs"), "{why}");
    }
}
