//! `cargo xtask <command>`; run `cargo xtask help` for the list.

use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::process::ExitCode;
use xtask::{regen, repo_root};

const HELP: &str = "\
cargo xtask <command>

  regen [--check]        openapi/cad/ -> openapi/sonoran-cad.openapi.json and the generated client;
                         --check writes nothing and fails when a generated file is stale
  spec-check             load, repair, merge and validate openapi/cad/ without writing anything
  stats [--misses]       how many operations are hand-typed, inferred, typed by the docs or
                         open, and how well inference agrees with the hand typing
                         (--misses: every disagreement)
  import-docs <DIR>...   import the v2 docs pages' OpenAPI blocks from DIR/api-integration/
                         into openapi/<api>/v2/ and report what changed; with several
                         DIRs, a later one's page replaces an earlier one's at the same path
  fake [--addr ADDR]     run the fake Sonoran API on ADDR (default 127.0.0.1:8787) for
                         offline development: every v1/v2 operation, documented replies
  test                   every test and check (fmt, clippy, regen --check, wasm32 build,
                         cargo test), installing the wasm32 target when missing
  publish-check          what a user of the published crates gets (also part of `test`): the
                         MSRV of their dependencies, a new crate outside the workspace using
                         sonoran-cad with the newest serde/serde_json/tokio against the fake,
                         and `cargo package` of sonoran-cad and sonoran-fake, each unpacked
                         and tested on its own
  wasm                   build the npm package into crates/wasm/pkg (installs the wasm32
                         target, the matching wasm-bindgen-cli and npm tools when missing)
  bench                  measure and write BENCHMARKS.md (overheads, package weight, regen
                         time, pacing, compile time, shared limits); several minutes
  bench shared           only the shared-limits section (Redis), printed, not written
  bench units            only the unit-locations section (websocket), printed, not written
  bench compile          only the build-cost section (a new crate using sonoran-cad, cold and
                         after a touch, per TLS choice), printed and put into BENCHMARKS.md
  help                   this text
";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<()> {
    let root = repo_root();
    let mut args = args.into_iter();
    match args.next().as_deref() {
        Some("regen") => {
            let check = match args.next().as_deref() {
                None => false,
                Some("--check") => true,
                Some(other) => bail!("unknown regen option `{other}`\n\n{HELP}"),
            };
            print!("{}", regen::run(&root, check)?);
        }
        Some("spec-check") => {
            let doc = sonoran_spec::build(&root.join(sonoran_spec::api::CAD.openapi_dir()))
                .map_err(|e| anyhow::anyhow!("{}/: {e}", sonoran_spec::api::CAD.openapi_dir()))?;
            println!("spec-check: openapi/cad/ merges and validates");
            print!("{}", sonoran_spec::stats::stats(&doc));
        }
        Some("stats") => {
            let openapi = root.join(sonoran_spec::api::CAD.openapi_dir());
            let doc = sonoran_spec::build(&openapi).map_err(|e| anyhow::anyhow!("{e}"))?;
            print!("{}", sonoran_spec::stats::stats(&doc));
            let agreement = sonoran_spec::agreement::measure_dir(&openapi)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if args.next().as_deref() == Some("--misses") {
                print!("{agreement:#}");
            } else {
                print!("{agreement}");
            }
        }
        Some("import-docs") => {
            let dirs: Vec<PathBuf> = args.by_ref().map(PathBuf::from).collect();
            if dirs.is_empty() {
                bail!("usage: cargo xtask import-docs <DIR> [<DIR>...]");
            }
            import_docs(&root, &dirs)?;
        }
        Some("test") => xtask::test_all::run(&root)?,
        Some("publish-check") => {
            print!("{}", xtask::publish::check_msrv(&root)?);
            xtask::publish::scratch_crate(&root)?;
            xtask::publish::package_and_test(&root)?;
        }
        Some("bench") => match args.next().as_deref() {
            None => xtask::bench::run(&root)?,
            Some("shared") => print!("{}", xtask::bench::shared_only(&root)?),
            Some("units") => print!("{}", xtask::bench::units_only(&root)?),
            Some("compile") => print!("{}", xtask::bench::compile_only(&root)?),
            Some(other) => bail!("usage: cargo xtask bench [shared|units|compile] (not `{other}`)"),
        },
        Some("wasm") => {
            xtask::wasm::build(&root)?;
        }
        Some("fake") => {
            let addr = match (args.next().as_deref(), args.next()) {
                (None, _) => "127.0.0.1:8787".to_string(),
                (Some("--addr"), Some(addr)) => addr,
                _ => bail!("usage: cargo xtask fake [--addr 127.0.0.1:PORT]"),
            };
            xtask::fake::run(&addr)?;
        }
        Some("help" | "--help" | "-h") | None => print!("{HELP}"),
        Some(other) => bail!("unknown command `{other}`\n\n{HELP}"),
    }
    Ok(())
}

fn import_docs(root: &std::path::Path, dirs: &[PathBuf]) -> Result<()> {
    let openapi = root.join(sonoran_spec::api::CAD.openapi_dir());
    let layers: Vec<&std::path::Path> = dirs.iter().map(PathBuf::as_path).collect();
    let pages = sonoran_spec::import::scan_layers(&layers).map_err(|e| anyhow::anyhow!("{e}"))?;
    let plan = sonoran_spec::import::plan(&openapi, &pages).map_err(|e| anyhow::anyhow!("{e}"))?;
    for (rel, contents) in &plan.writes {
        let path = openapi.join(rel);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(contents) {
            continue;
        }
        std::fs::create_dir_all(path.parent().expect("under openapi/"))?;
        let tmp = path.with_extension("import.tmp");
        std::fs::write(&tmp, contents).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("replacing {}", path.display()))?;
    }
    for rel in &plan.deletes {
        std::fs::remove_file(openapi.join(rel))
            .with_context(|| format!("removing openapi/{rel}"))?;
    }
    let ops: usize = pages.iter().map(|p| p.entry.operations.len()).sum();
    println!("import-docs: {} pages, {ops} operations", pages.len());
    print!("{}", plan.report);
    Ok(())
}
