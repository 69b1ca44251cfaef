//! `cargo xtask <command>`; run `cargo xtask help` for the list.

use anyhow::{Context, Result, bail};
use sonoran_spec::api::Api;
use std::path::PathBuf;
use std::process::ExitCode;
use xtask::{regen, repo_root};

const HELP: &str = "\
cargo xtask <command>

  regen [--check]        every API whose openapi/<id>/ exists -> openapi/<crate>.openapi.json
                         (and, for an API whose crate exists, the generated client); --check
                         writes nothing and fails when a generated file is stale
  spec-check             load, repair, merge and validate every openapi/<id>/ without writing
  stats [--api ID] [--misses]
                         per API (default: all): how many operations are hand-typed, inferred,
                         typed by the docs or open, how many fields of the docs' JSON reply
                         examples end typed, and how well inference agrees with the hand
                         typing (--misses: every open field and every disagreement)
  import-docs [--api cad|cms] <DIR>...
                         import the v2 docs pages' OpenAPI blocks from DIR/api-integration/
                         into openapi/<api>/v2/ (default cad) and report what changed; with
                         several DIRs, a later one's page replaces an earlier one's at the same
                         path; for an API whose v1 calls are imported (cms), also the v1 envelope calls of
                         DIR/api-integration/api-endpoints/ into openapi/<api>/v1/ (hand
                         decisions under openapi/<api>/types/v1/)
  fake [--api cad|cms] [--addr ADDR]
                         run the fake Sonoran API (default cad) on ADDR (default
                         127.0.0.1:8787 for cad, 127.0.0.1:8788 for cms) for offline
                         development: every v1/v2 operation, documented replies
                         (`cargo xtask fake --help` for more)
  test [--repeat N] [--load]
                         every test and check (fmt, clippy, regen --check, wasm32 build,
                         cargo test), installing the wasm32 target when missing; N times in a
                         row, under one busy thread per core with --load
  test-js                the npm packages' part of `test` alone (built when stale)
  scratch                publish-check's scratch crate alone: a new crate outside the workspace
                         (v1 builder, per-request timeout, send_with_response, every page of
                         getAccounts through .stream()) against the fake
  publish-check          what a user of the published crates gets (also part of `test`): the
                         MSRV of their dependencies, a new crate outside the workspace using
                         sonoran-cad with the newest serde/serde_json/tokio against the fake,
                         and `cargo package` of the published crates (sonoran-runtime,
                         sonoran-cad, sonoran-cms, sonoran-fake), each unpacked and tested
                         on its own
  wasm                   build the npm packages: sonoran-cad into crates/wasm/pkg, sonoran-cms
                         into crates/cms-wasm/pkg, printing their gzipped sizes (installs the
                         wasm32 target, the matching wasm-bindgen-cli and npm tools when missing)
  bench                  measure and write BENCHMARKS.md (overheads, package weight, regen
                         time, pacing, compile time, shared limits, CPU time and instructions
                         per call, memory, the fake's throughput); many minutes
  bench --quick          sections 9-11 only (CPU time per call with 95% intervals, callgrind
                         instructions, memory, the fake's throughput) with few runs, printed
  bench stable           the same sections at full size, printed, not written
  bench shared           only the shared-limits section (Redis), printed, not written
  bench units            only the unit-locations section (websocket), printed, not written
  bench compile          only the build-cost section (a new crate using sonoran-cad, cold and
                         after a touch, per TLS choice), printed and put into BENCHMARKS.md
  mutants [--file F]... [--list]
                         mutation testing (cargo-mutants, installed when missing) of the
                         client runtime and the fake's validation, one scoped in-place run
                         per file with the tests that exercise it (TESTING.md, Mutation
                         testing); not part of `test`; 25-60 s per mutant
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
            for api in regen::apis(&root) {
                let doc = regen::build(&root, &api)?;
                println!("spec-check: {}/ merges and validates", api.openapi_dir());
                print!("{}", sonoran_spec::stats::stats(&doc));
            }
        }
        Some("stats") => {
            let rest: Vec<String> = args.collect();
            let misses = rest.iter().any(|a| a == "--misses");
            let apis = match api_option(&rest)? {
                Some(api) => vec![api],
                None => regen::apis(&root),
            };
            for api in apis {
                let openapi = root.join(api.openapi_dir());
                let doc = regen::build(&root, &api)?;
                println!("== {} ({}/)", api.product, api.openapi_dir());
                print!("{}", sonoran_spec::stats::stats(&doc));
                let typed = sonoran_spec::stats::example_fields(&api, &openapi, &doc)
                    .map_err(|e| anyhow::anyhow!("{}/: {e}", api.openapi_dir()))?;
                if misses {
                    print!("{typed:#}");
                } else {
                    print!("{typed}");
                }
                let agreement = sonoran_spec::agreement::measure_dir(&api, &openapi)
                    .map_err(|e| anyhow::anyhow!("{}/: {e}", api.openapi_dir()))?;
                if misses {
                    print!("{agreement:#}");
                } else {
                    print!("{agreement}");
                }
            }
        }
        Some("import-docs") => {
            let rest: Vec<String> = args.collect();
            let api = api_option(&rest)?.unwrap_or(sonoran_spec::api::CAD);
            let dirs: Vec<PathBuf> = rest
                .iter()
                .enumerate()
                .filter(|(i, a)| *a != "--api" && !(*i > 0 && rest[i - 1] == "--api"))
                .map(|(_, a)| PathBuf::from(a))
                .collect();
            if dirs.is_empty() {
                bail!("usage: cargo xtask import-docs [--api cad|cms] <DIR>...");
            }
            import_docs(&root, &api, &dirs)?;
        }
        Some("test") => {
            let mut repeat = 1u32;
            let mut load = false;
            while let Some(arg) = args.next() {
                match arg.as_str() {
                    "--repeat" => {
                        let n = args.next().unwrap_or_default();
                        repeat = match n.parse() {
                            Ok(n) if n >= 1 => n,
                            _ => bail!("--repeat takes a count of at least 1, not `{n}`"),
                        };
                    }
                    "--load" => load = true,
                    other => bail!("usage: cargo xtask test [--repeat N] [--load] (not `{other}`)"),
                }
            }
            xtask::test_all::run_repeated(&root, repeat, load)?
        }
        // The npm packages' part of `test` alone (built when stale), for iterating on JS.
        Some("test-js") => xtask::js_tests::run(&root)?,
        Some("scratch") => xtask::publish::scratch_crate(&root)?,
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
            Some("stable") => print!(
                "{}",
                xtask::bench::stable_only(&root, xtask::bench::Mode::Stable)?
            ),
            Some("--quick") => print!(
                "{}",
                xtask::bench::stable_only(&root, xtask::bench::Mode::Quick)?
            ),
            Some(other) => bail!(
                "usage: cargo xtask bench [--quick|stable|shared|units|compile] (not `{other}`)"
            ),
        },
        Some("mutants") => {
            let rest: Vec<String> = args.collect();
            xtask::mutants::run(&root, &rest)?;
        }
        Some("wasm") => {
            xtask::wasm::build(&root)?;
        }
        Some("fake") => {
            let rest: Vec<String> = args.collect();
            match xtask::fake::parse_args(&rest)? {
                Some(options) => xtask::fake::run(options.api, &options.addr)?,
                None => print!("{}", xtask::fake::HELP),
            }
        }
        Some("help" | "--help" | "-h") | None => print!("{HELP}"),
        Some(other) => bail!("unknown command `{other}`\n\n{HELP}"),
    }
    Ok(())
}

/// `--api <id>` among `args`, if given.
fn api_option(args: &[String]) -> Result<Option<Api>> {
    let Some(i) = args.iter().position(|a| a == "--api") else {
        return Ok(None);
    };
    let id = args
        .get(i + 1)
        .context("`--api` needs a value (cad, cms)")?;
    let known: Vec<&str> = sonoran_spec::api::ALL.iter().map(|a| a.id).collect();
    Api::by_id(id)
        .map(Some)
        .with_context(|| format!("unknown API `{id}`; known: {}", known.join(", ")))
}

/// Imports every docs folder in `dirs` into `openapi/<api>/`: the v2 pages and, for an API
/// whose v1 calls are imported ([`Api::v1_imported`]), the v1 pages. All are read and planned
/// before anything is written, so bad docs write nothing.
fn import_docs(root: &std::path::Path, api: &Api, dirs: &[PathBuf]) -> Result<()> {
    let openapi = root.join(api.openapi_dir());
    let fail = |e: sonoran_spec::Error| anyhow::anyhow!("{e}");
    let layers: Vec<&std::path::Path> = dirs.iter().map(PathBuf::as_path).collect();
    let pages = sonoran_spec::import::scan_layers(api, &layers).map_err(fail)?;
    let plan = sonoran_spec::import::plan(api, &openapi, &pages).map_err(fail)?;
    let mut writes = plan.writes.clone();
    let mut deletes = plan.deletes.clone();
    let mut v1 = None;
    if api.v1_imported {
        let mut v1_pages = Vec::new();
        for dir in dirs {
            v1_pages.extend(sonoran_spec::v1_import::scan(dir).map_err(fail)?);
        }
        let v1_plan = sonoran_spec::v1_import::plan(api, &openapi, &v1_pages).map_err(fail)?;
        writes.extend(v1_plan.writes.iter().cloned());
        deletes.extend(v1_plan.deletes.iter().cloned());
        v1 = Some((v1_pages.len(), v1_plan));
    }
    for (rel, contents) in &writes {
        let path = openapi.join(rel);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(contents) {
            continue;
        }
        std::fs::create_dir_all(path.parent().expect("under openapi/"))?;
        let tmp = path.with_extension("import.tmp");
        std::fs::write(&tmp, contents).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("replacing {}", path.display()))?;
    }
    for rel in &deletes {
        std::fs::remove_file(openapi.join(rel))
            .with_context(|| format!("removing {}/{rel}", api.openapi_dir()))?;
    }
    let ops: usize = pages.iter().map(|p| p.entry.operations.len()).sum();
    println!("import-docs: {} v2 pages, {ops} operations", pages.len());
    print!("{}", plan.report);
    if let Some((count, v1_plan)) = v1 {
        println!("import-docs: {count} v1 pages");
        print!("{}", v1_plan.report);
    }
    Ok(())
}
