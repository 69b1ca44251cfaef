//! `cargo xtask mutants [--file F]...`: the mutation-testing runs recorded in TESTING.md
//! ("Mutation testing"), one scoped `cargo mutants` run per source file, with the tests that
//! exercise that file. Not part of `cargo xtask test` (and not run in CI): a run takes
//! 25-60 s per mutant on two cores.
//!
//! The runs are `--in-place`: cargo-mutants edits the file in this checkout (restoring it
//! after each mutant) so that the warm `target/` is reused; a copy of the tree would start
//! from a cold build. Do not edit the tree while it runs. Each file's results go to
//! `target/mutants/<name>/mutants.out/` (`caught.txt`, `missed.txt`, `timeout.txt`,
//! `unviable.txt`, `outcomes.json`).

use crate::cargo;
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

/// The cargo-mutants release the recorded figures were measured with.
pub const CARGO_MUTANTS_VERSION: &str = "27.1.0";

/// A scoped run: the mutated file, the packages whose tests run, and what `cargo test` is
/// given (which of those packages' test targets).
#[derive(Debug)]
pub struct Scope {
    pub file: &'static str,
    pub packages: &'static [&'static str],
    pub test_args: &'static [&'static str],
    /// Seconds a mutant's tests may take before it counts as a timeout (a mutant that
    /// breaks the virtual clock or the limiter can make a test wait for real).
    pub timeout: u32,
}

/// The runtime's tests: its own unit tests and the sonoran-cad test binaries that drive the
/// runtime through a real client against loopback servers and the fake (`call_style`: the
/// per-call options and what an error says of its call: operation, attempts, request id).
const RUNTIME_PACKAGES: &[&str] = &["sonoran-runtime", "sonoran-cad"];
const RUNTIME_TESTS: &[&str] = &[
    "--lib",
    "--test",
    "hostile",
    "--test",
    "runtime",
    "--test",
    "wire",
    "--test",
    "v1",
    "--test",
    "fake_faults",
    "--test",
    "call_style",
];

/// Every scoped run, most important first (the order `cargo xtask mutants` runs them in).
pub const SCOPES: &[Scope] = &[
    runtime("crates/runtime/src/key.rs"),
    runtime("crates/runtime/src/retry.rs"),
    runtime("crates/runtime/src/limiter.rs"),
    runtime("crates/runtime/src/error.rs"),
    runtime("crates/runtime/src/reply.rs"),
    runtime("crates/runtime/src/config.rs"),
    // The transport: every v2 call's exchange and decoding, the attempts' reply reading.
    runtime("crates/runtime/src/http.rs"),
    // The generated structs' decoding (`deserialize_struct!`): its unit tests compare it
    // with the derive; the client's tests decode every reply through it.
    runtime("crates/runtime/src/de.rs"),
    // Their encoding (`serialize_struct!`): its unit tests compare it with the derive, call
    // by call; the client's tests send every request body through it.
    runtime("crates/runtime/src/ser.rs"),
    Scope {
        file: "crates/fake/src/validate.rs",
        packages: &["sonoran-fake"],
        test_args: &["--lib", "--test", "validation"],
        timeout: 120,
    },
];

const fn runtime(file: &'static str) -> Scope {
    Scope {
        file,
        packages: RUNTIME_PACKAGES,
        test_args: RUNTIME_TESTS,
        timeout: 120,
    }
}

/// Reads `[--file F]... [--list]`: the scopes to run (all of them without `--file`) and
/// whether only to list the mutants.
pub fn parse_args(args: &[String]) -> Result<(Vec<&'static Scope>, bool)> {
    let mut chosen = Vec::new();
    let mut list = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--file" => {
                let f = args.next().context("`--file` needs a path")?;
                let f = f.trim_start_matches("./");
                let scope = SCOPES.iter().find(|s| s.file == f).with_context(|| {
                    let known: Vec<&str> = SCOPES.iter().map(|s| s.file).collect();
                    format!(
                        "no mutation scope for `{f}`; scoped files:\n  {}",
                        known.join("\n  ")
                    )
                })?;
                chosen.push(scope);
            }
            "--list" => list = true,
            other => bail!("usage: cargo xtask mutants [--file F]... [--list] (not `{other}`)"),
        }
    }
    if chosen.is_empty() {
        chosen = SCOPES.iter().collect();
    }
    Ok((chosen, list))
}

/// The `cargo mutants` arguments for `scope` (after `cargo`), as recorded in TESTING.md.
///
/// The test targets go in as `--cargo-arg`s, so that the build phase (`cargo test
/// --no-run`) builds only them, not every test binary of sonoran-cad. The baseline is
/// skipped because cargo-mutants 27.1 runs it with the mutated file's package only,
/// ignoring `--test-package` (so `--test hostile` fails there): run the same `cargo test`
/// once before (`cargo xtask mutants` does).
pub fn mutants_args(scope: &Scope, list: bool) -> Vec<String> {
    let mut args: Vec<String> = ["mutants", "--in-place", "--file", scope.file]
        .map(String::from)
        .to_vec();
    if list {
        args.push("--list".into());
        return args;
    }
    args.extend([
        "--baseline=skip".into(),
        "--test-package".into(),
        scope.packages.join(","),
        "--timeout".into(),
        scope.timeout.to_string(),
        "--output".into(),
        output_dir(scope),
    ]);
    args.extend(scope.test_args.iter().map(|a| format!("--cargo-arg={a}")));
    args
}

/// `cargo test` with the scope's packages and targets: the baseline (must pass unmutated).
pub fn baseline_args(scope: &Scope) -> Vec<String> {
    let mut args = vec!["test".to_string()];
    for p in scope.packages {
        args.extend(["-p".to_string(), p.to_string()]);
    }
    args.extend(scope.test_args.iter().map(|a| a.to_string()));
    args
}

/// `target/mutants/<crate folder>-<file stem>`, where cargo-mutants puts `mutants.out/`.
pub fn output_dir(scope: &Scope) -> String {
    let name = Path::new(scope.file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("mutants");
    let crate_dir = scope.file.split('/').nth(1).unwrap_or("crate");
    format!("target/mutants/{crate_dir}-{name}")
}

fn installed_version() -> Option<String> {
    let out = cargo().args(["mutants", "--version"]).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Installs cargo-mutants ([`CARGO_MUTANTS_VERSION`]) when `cargo mutants` is missing.
pub fn ensure_installed() -> Result<()> {
    if let Some(v) = installed_version() {
        println!("==> using {v}");
        return Ok(());
    }
    println!(
        "\n==> cargo-mutants is missing: cargo install cargo-mutants --version {CARGO_MUTANTS_VERSION} --locked (about 3 minutes)"
    );
    crate::run(
        "cargo install cargo-mutants",
        cargo().args([
            "install",
            "cargo-mutants",
            "--version",
            CARGO_MUTANTS_VERSION,
            "--locked",
        ]),
    )?;
    installed_version()
        .map(|_| ())
        .context("`cargo mutants --version` still fails after installing cargo-mutants")
}

/// Runs `cargo mutants` for each scope in turn, at the lowest CPU priority (`nice -n 19`
/// where `nice` exists). A scope with surviving mutants does not stop the next one; the
/// command fails at the end, naming the scopes whose run did not pass.
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let (scopes, list) = parse_args(args)?;
    ensure_installed()?;
    let nice = Command::new("nice")
        .arg("true")
        .status()
        .is_ok_and(|s| s.success());
    let mut failed = Vec::new();
    let niced = || {
        if nice {
            let mut c = Command::new("nice");
            c.args(["-n", "19"])
                .arg(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
            c
        } else {
            cargo()
        }
    };
    for scope in scopes {
        if !list {
            let baseline = baseline_args(scope);
            let what = format!("cargo {}", baseline.join(" "));
            println!("\n==> baseline: {what}");
            crate::run(&what, niced().current_dir(root).args(&baseline))?;
        }
        let args = mutants_args(scope, list);
        // cargo-mutants creates `mutants.out/` but not its parent folder.
        let out = root.join(output_dir(scope));
        std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
        let mut cmd = niced();
        cmd.current_dir(root).args(&args);
        println!("\n==> cargo {}", args.join(" "));
        let status = cmd
            .status()
            .with_context(|| format!("starting `cargo mutants` for {}", scope.file))?;
        // cargo-mutants exits 2 when mutants were missed, 3 on timeouts, 4 when the
        // baseline tests fail.
        if !status.success() {
            failed.push(format!("{} ({status})", scope.file));
        }
    }
    if !failed.is_empty() {
        bail!(
            "cargo mutants did not pass for:\n  {}\n(see target/mutants/<crate>-<file>/mutants.out/missed.txt and timeout.txt)",
            failed.join("\n  ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_name_the_file_packages_and_tests() {
        let (scopes, list) =
            parse_args(&["--file".into(), "./crates/runtime/src/key.rs".into()]).unwrap();
        assert!(!list);
        assert_eq!(scopes.len(), 1);
        assert_eq!(
            mutants_args(scopes[0], false).join(" "),
            "mutants --in-place --file crates/runtime/src/key.rs --baseline=skip \
             --test-package sonoran-runtime,sonoran-cad --timeout 120 \
             --output target/mutants/runtime-key --cargo-arg=--lib --cargo-arg=--test \
             --cargo-arg=hostile --cargo-arg=--test --cargo-arg=runtime --cargo-arg=--test \
             --cargo-arg=wire --cargo-arg=--test --cargo-arg=v1 --cargo-arg=--test \
             --cargo-arg=fake_faults --cargo-arg=--test --cargo-arg=call_style"
        );
        assert_eq!(
            baseline_args(scopes[0]).join(" "),
            "test -p sonoran-runtime -p sonoran-cad --lib --test hostile --test runtime \
             --test wire --test v1 --test fake_faults --test call_style"
        );
        let (all, _) = parse_args(&[]).unwrap();
        assert_eq!(all.len(), SCOPES.len());
        let err = parse_args(&["--file".into(), "src/nope.rs".into()])
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.starts_with(
                "no mutation scope for `src/nope.rs`; scoped files:\n  crates/runtime/src/key.rs\n"
            ),
            "{err}"
        );
    }
}
