//! The published crates (`sonoran-runtime`, `sonoran-cad`, `sonoran-cms`, `sonoran-fake`) as a user gets them: the MSRV of
//! their dependency tree, their packages built and tested on their own, and a new crate
//! outside the workspace that depends on `sonoran-cad` next to the newest serde,
//! serde_json and tokio and makes a call against the fake server.

use crate::cargo;
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// The crates published on crates.io; everything they depend on must be published too.
pub const PUBLISHED: [&str; 4] = [
    "sonoran-runtime",
    "sonoran-cad",
    "sonoran-cms",
    "sonoran-fake",
];

/// What the scratch crate calls, with the client built from `SONORAN_BASE_URL`,
/// `SONORAN_API_KEY` and `SONORAN_COMMUNITY_ID`: a v2 call with its own deadline, whose reply
/// it prints as JSON on stdout with its status and attempts (`send_with_response`). The one
/// place to change when the client's call surface changes.
pub const SCRATCH_CALL: &str =
    "client.get_version().timeout(Duration::from_secs(10)).send_with_response().await?";
/// The operation [`SCRATCH_CALL`] makes: its documented 200 example is what must be printed.
pub const SCRATCH_OPERATION: (&str, &str) = ("/v2/general/version", "get");
/// The v1 call the scratch crate makes (a builder under `.v1()`), printing each server's name.
pub const SCRATCH_V1_CALL: &str =
    "client.v1().get_servers_v1().timeout(Duration::from_secs(10)).await?";
/// The operation [`SCRATCH_V1_CALL`] makes.
pub const SCRATCH_V1_OPERATION: (&str, &str) = ("/general/get_servers", "post");
/// The page size the scratch crate streams `getAccounts` with.
pub const SCRATCH_PAGE_SIZE: u64 = 2;

/// `src/main.rs` of a new binary crate using `sonoran-cad` (the scratch test and the
/// compile benchmark both build it): a v2 call with a per-request timeout and
/// `send_with_response`, a v1 builder call, and every page of `getAccounts` through
/// `.stream()`, all printed as one JSON line.
pub fn scratch_main() -> String {
    format!(
        r#"//! A new binary crate depending on sonoran-cad (written by `cargo xtask`).

use std::time::Duration;

#[derive(serde::Serialize)]
struct Report<T> {{
    /// The v2 call's reply, its status and attempts.
    reply: T,
    status: u16,
    attempts: u32,
    /// The v1 call's servers, by name.
    servers: Vec<String>,
    /// Every account's username, of every page of `getAccounts`, and the pages asked for.
    accounts: Vec<String>,
    pages: u32,
}}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {{
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{{name}} is not set"));
    let client = sonoran_cad::Client::builder()
        .base_url(var("SONORAN_BASE_URL")?)
        .api_key(var("SONORAN_API_KEY")?)
        .community_id(var("SONORAN_COMMUNITY_ID")?)
        .build()?;
    let response = {SCRATCH_CALL};
    let servers = {SCRATCH_V1_CALL};
    let servers = servers.servers.unwrap_or_default().into_iter().filter_map(|s| s.name).collect();
    let size = std::num::NonZeroU64::new({SCRATCH_PAGE_SIZE}).ok_or("page size 0")?;
    let mut pages = client.get_accounts().limit(size).stream();
    let mut accounts = Vec::new();
    while let Some(account) = pages.next().await {{
        accounts.push(account?.username.unwrap_or_default());
    }}
    let report = Report {{
        status: response.status,
        attempts: response.attempts,
        reply: response.value,
        servers,
        accounts,
        pages: pages.pages_requested(),
    }};
    println!("{{}}", serde_json::to_string(&report)?);
    Ok(())
}}
"#
    )
}

/// The `Cargo.toml` of that crate: its own workspace, `sonoran-cad` by path with
/// `features` (`None`: its defaults), serde, serde_json and tokio by plain caret
/// requirements so that a fresh resolve picks their newest releases.
pub fn scratch_manifest(root: &Path, features: Option<&[&str]>) -> String {
    scratch_manifest_from(&path_source(&root.join("crates/client")), features)
}

/// The source part of a dependency's inline table for the package in `dir`:
/// `path = "dir"`.
pub fn path_source(dir: &Path) -> String {
    format!("path = {:?}", dir.display().to_string())
}

/// [`scratch_manifest`] with `sonoran-cad` from `source` (the source part of its inline
/// table: `path = ".."` or `git = ".."`).
pub fn scratch_manifest_from(source: &str, features: Option<&[&str]>) -> String {
    let cad = match features {
        None => format!("{{ {source} }}"),
        Some(f) => format!("{{ {source}, default-features = false, features = {f:?} }}"),
    };
    format!(
        r#"[package]
name = "sonoran-scratch"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
sonoran-cad = {cad}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"
tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}

# Not a member of the sonoran-rs workspace: a project of its own.
[workspace]
"#
    )
}

/// Writes the scratch crate into `dir` (no lockfile: a fresh resolve).
pub fn write_scratch(dir: &Path, root: &Path, features: Option<&[&str]>) -> Result<()> {
    write_crate(dir, &scratch_manifest(root, features), &scratch_main())
}

/// Writes a binary crate of its own into `dir`: its `Cargo.toml` and `src/main.rs`, and no
/// lockfile (a fresh resolve).
pub fn write_crate(dir: &Path, manifest: &str, main: &str) -> Result<()> {
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("Cargo.toml"), manifest)?;
    std::fs::write(dir.join("src/main.rs"), main)?;
    let _ = std::fs::remove_file(dir.join("Cargo.lock"));
    Ok(())
}

fn output(what: &str, cmd: &mut Command) -> Result<String> {
    let out = cmd.output().with_context(|| format!("starting `{what}`"))?;
    if !out.status.success() {
        bail!(
            "`{what}` failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let mut parts = v.trim().split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

/// The packages in the normal (non-dev, non-build) dependency tree of `roots`, all
/// features on, that declare a `rust-version` newer than `msrv`: `(name version, theirs)`.
pub fn newer_than_msrv(metadata: &Value, roots: &[&str], msrv: &str) -> Result<Vec<String>> {
    let ours = parse_version(msrv).with_context(|| format!("rust-version `{msrv}`"))?;
    let packages: BTreeMap<&str, &Value> = metadata["packages"]
        .as_array()
        .context("cargo metadata: no packages")?
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let nodes: BTreeMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .context("cargo metadata: no resolve")?
        .iter()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let mut stack: Vec<&str> = packages
        .iter()
        .filter(|(_, p)| roots.contains(&p["name"].as_str().unwrap_or("")))
        .map(|(id, _)| *id)
        .collect();
    if stack.len() != roots.len() {
        bail!("cargo metadata does not list all of {roots:?}");
    }
    let mut seen = BTreeSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        for dep in nodes
            .get(id)
            .and_then(|n| n["deps"].as_array())
            .into_iter()
            .flatten()
        {
            let normal = dep["dep_kinds"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k["kind"].is_null()));
            if normal && let Some(pkg) = dep["pkg"].as_str() {
                stack.push(pkg);
            }
        }
    }
    let mut newer = Vec::new();
    for id in seen {
        let p = packages[id];
        if let Some(theirs) = p["rust_version"].as_str()
            && parse_version(theirs).is_some_and(|t| t > ours)
        {
            newer.push(format!(
                "{} {} (rust-version {theirs})",
                p["name"].as_str().unwrap_or("?"),
                p["version"].as_str().unwrap_or("?")
            ));
        }
    }
    Ok(newer)
}

/// The MSRV step: the workspace's `rust-version` against every package that the published
/// crates pull in with every feature on, for every target, as Cargo.lock resolves them.
pub fn check_msrv(root: &Path) -> Result<String> {
    let text = output(
        "cargo metadata",
        cargo().current_dir(root).args([
            "metadata",
            "--format-version",
            "1",
            "--all-features",
            "--locked",
        ]),
    )?;
    let metadata: Value = serde_json::from_str(&text).context("cargo metadata's JSON")?;
    let msrv = metadata["packages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "sonoran-cad"))
        .and_then(|p| p["rust_version"].as_str())
        .context("sonoran-cad declares no rust-version")?
        .to_string();
    let newer = newer_than_msrv(&metadata, &PUBLISHED, &msrv)?;
    if !newer.is_empty() {
        bail!(
            "the published crates declare rust-version {msrv}, but their dependencies ask for more:\n  {}\nraise `rust-version` in Cargo.toml or hold these back in Cargo.lock",
            newer.join("\n  ")
        );
    }
    Ok(format!(
        "MSRV {msrv}: no dependency of {} (all features) declares a newer rust-version\n",
        PUBLISHED.join(", ")
    ))
}

/// `cargo package` for the published crates, then each unpacked outside the workspace and
/// built and tested there from its package alone, the published crates it depends on
/// (the client's dev-dependency on the fake included) patched to their packages.
pub fn package_and_test(root: &Path) -> Result<()> {
    // `--no-verify`: cargo's own verification builds each crate against the others as
    // packages of a local registry, and reuses what it built or unpacked of a registry
    // package by name and version alone (the unpacked sources under
    // `$CARGO_HOME/registry/src`, the builds in the target dir). With CARGO_HOME and target/
    // kept between runs, a later run linked an earlier run's `sonoran-runtime 0.1.0`, older
    // sources and all. The unpacked packages are built and tested below as path
    // dependencies of each other, which cargo fingerprints by their files: the same
    // verification (each crate built from its package alone), without the stale copies.
    let mut package = cargo();
    package
        .current_dir(root)
        .args(["package", "--allow-dirty", "--locked", "--no-verify"]);
    for p in PUBLISHED {
        package.args(["-p", p]);
    }
    crate::test_all::step(
        &format!(
            "cargo package -p {} (built and tested below, each from its package)",
            PUBLISHED.join(" -p ")
        ),
        &mut package,
    )?;
    let version = workspace_version(root)?;
    let unpacked = std::env::temp_dir().join(format!("sonoran-packaged-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&unpacked);
    std::fs::create_dir_all(&unpacked)?;
    let result = test_unpacked(root, &unpacked, &version);
    let _ = std::fs::remove_dir_all(&unpacked);
    result
}

fn workspace_version(root: &Path) -> Result<String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let in_package = manifest
        .split("[workspace.package]")
        .nth(1)
        .context("Cargo.toml has no [workspace.package]")?;
    in_package
        .lines()
        .find_map(|l| l.strip_prefix("version = "))
        .map(|v| v.trim().trim_matches('"').to_string())
        .context("[workspace.package] has no version")
}

fn test_unpacked(root: &Path, unpacked: &Path, version: &str) -> Result<()> {
    let mut dirs = BTreeMap::new();
    for p in PUBLISHED {
        let file = crate::target_dir(root).join(format!("package/{p}-{version}.crate"));
        crate::run(
            &format!("tar xzf {}", file.display()),
            Command::new("tar")
                .arg("xzf")
                .arg(&file)
                .arg("-C")
                .arg(unpacked),
        )?;
        let dir = unpacked.join(format!("{p}-{version}"));
        // A package's files carry the tarball's fixed mtime, older than any build, and
        // cargo's fingerprint of a path package is the mtimes: without this, the target dir
        // kept between runs would hold on to the previous run's build of changed sources.
        touch_all(&dir)?;
        dirs.insert(p, dir);
    }
    let patch = |dep: &str| {
        format!(
            "patch.crates-io.{dep}.path={:?}",
            dirs[dep].display().to_string()
        )
    };
    // One target dir under the workspace's, kept between runs (the packages' own builds).
    let target = crate::target_dir(root).join("packaged");
    for p in PUBLISHED {
        let mut cmd = cargo();
        cmd.current_dir(&dirs[p])
            .env("CARGO_TARGET_DIR", &target)
            .env(
                "SONORAN_EQUIVALENCE_FILE",
                unpacked.join("rust-requests.json"),
            )
            .args(["test", "-q"]);
        // Each dependency on another published crate (`sonoran-runtime = "0.1.0"`, the
        // client's dev-dependency `sonoran-fake`): the package next to it.
        for dep in depends_on(&dirs[p], p)? {
            cmd.args(["--config", &patch(dep)]);
        }
        crate::test_all::step(
            &format!("cargo test in the unpacked {p} package, outside the workspace"),
            &mut cmd,
        )?;
    }
    Ok(())
}

/// The published crates that the unpacked package `p` in `dir` depends on, dev-dependencies
/// too, read from its normalized manifest (`cargo package` writes each dependency as a
/// `[dependencies.NAME]` / `[dev-dependencies.NAME]` table).
fn depends_on(dir: &Path, p: &str) -> Result<Vec<&'static str>> {
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml"))
        .with_context(|| format!("reading the unpacked {p}'s Cargo.toml"))?;
    Ok(PUBLISHED
        .iter()
        .copied()
        .filter(|q| *q != p)
        .filter(|q| {
            ["dependencies", "dev-dependencies", "build-dependencies"]
                .iter()
                .any(|section| manifest.contains(&format!("[{section}.{q}]")))
        })
        .collect())
}

/// Sets the modification time of every file under `dir` to now.
fn touch_all(dir: &Path) -> Result<()> {
    let now = std::time::SystemTime::now();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            touch_all(&path)?;
        } else {
            std::fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(now))
                .with_context(|| format!("touching {}", path.display()))?;
        }
    }
    Ok(())
}

/// The scratch crate: written under the workspace's target dir (its own workspace, no
/// lockfile, so the newest serde, serde_json and tokio), built, checked for serde_json's
/// `preserve_order` (which must not be switched on for the user), and run against the fake.
pub fn scratch_crate(root: &Path) -> Result<()> {
    let dir = crate::target_dir(root).join("scratch-crate");
    write_scratch(&dir, root, None)?;
    let target = dir.join("target");
    crate::test_all::step(
        "scratch crate outside the workspace: cargo build (sonoran-cad by path, newest serde, serde_json, tokio)",
        cargo()
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .args(["build", "-q"]),
    )?;
    let tree = output(
        "cargo tree -e features -i serde_json",
        cargo()
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .args(["tree", "-e", "features", "-i", "serde_json"]),
    )?;
    if tree.contains("preserve_order") {
        bail!("sonoran-cad switches on serde_json's `preserve_order` for its users:\n{tree}");
    }
    let direct = output(
        "cargo tree --depth 1",
        cargo()
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .args(["tree", "--depth", "1", "-e", "normal"]),
    )?;
    println!("resolved (no lockfile):\n{direct}serde_json without preserve_order");

    let doc = merged_document(root)?;
    let expected = documented_example(&doc, SCRATCH_OPERATION)?;
    let servers: Vec<Value> = documented_example(&doc, SCRATCH_V1_OPERATION)?["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("name").cloned())
        .collect();
    let (pages, accounts) = account_pages(&doc)?;
    let bin = target.join("debug/sonoran-scratch");
    // The fake serves on the runtime's worker threads while the binary runs. Its getAccounts
    // answers the pages made from the documented account example (then its documented reply).
    let rt = tokio::runtime::Runtime::new()?;
    let fake = rt.block_on(sonoran_fake::FakeServer::start());
    for page in &pages {
        fake.inject(sonoran_fake::Fault::on(
            "getAccounts",
            sonoran_fake::FaultKind::Json {
                status: 200,
                body: page.clone(),
            },
        ));
    }
    let out = Command::new(&bin)
        .env("SONORAN_BASE_URL", fake.url())
        .env("SONORAN_API_KEY", fake.api_key())
        .env("SONORAN_COMMUNITY_ID", fake.community_id())
        .output()
        .with_context(|| format!("starting {}", bin.display()));
    let seen: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| match &r.query {
            Some(q) => format!("{} {}?{q}", r.method, r.path),
            None => format!("{} {}", r.method, r.path),
        })
        .collect();
    rt.block_on(fake.shutdown());
    let out = out?;
    if !out.status.success() {
        bail!(
            "the scratch crate's calls failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(stdout.trim())
        .with_context(|| format!("the scratch crate printed `{stdout}`, not JSON"))?;
    let expected_requests = 2 + pages.len();
    if report["reply"] != expected
        || report["status"] != 200
        || report["attempts"] != 1
        || report["servers"] != Value::Array(servers.clone())
        || report["accounts"] != Value::Array(accounts.clone())
        || report["pages"] != pages.len()
        || seen.len() != expected_requests
    {
        bail!(
            "the scratch crate printed {report} after the requests {seen:?}; expected the reply {expected} (status 200, 1 attempt), the servers {servers:?} of the documented v1 example, the accounts {accounts:?} over {} page(s), {expected_requests} requests",
            pages.len()
        );
    }
    println!(
        "scratch crate: `{SCRATCH_CALL}` returned {expected}; `{SCRATCH_V1_CALL}` the documented servers; `.stream()` every account of {} getAccounts page(s), each asked for once",
        pages.len()
    );
    Ok(())
}

/// The merged CAD document.
fn merged_document(root: &Path) -> Result<Value> {
    serde_json::from_str(
        &std::fs::read_to_string(root.join(sonoran_spec::api::CAD.merged_path()))
            .context("reading the merged document")?,
    )
    .context("the merged document is not JSON")
}

/// The pages the fake answers `getAccounts` with for the scratch crate and the scratch
/// Node script (offset pages of [`SCRATCH_PAGE_SIZE`] accounts, the last one short), made
/// from the documented account example, and the usernames they hold in order.
pub fn account_pages(doc: &Value) -> Result<(Vec<Value>, Vec<Value>)> {
    let example = &doc["components"]["schemas"]["Account"]["example"];
    let Some(name) = example["username"].as_str() else {
        bail!("the Account schema documents no example with a `username`");
    };
    let size = SCRATCH_PAGE_SIZE as usize;
    let total = 2 * size + 1;
    let accounts: Vec<Value> = (1..=total)
        .map(|i| {
            let mut a = example.clone();
            a["username"] = Value::String(format!("{name}{i}"));
            a
        })
        .collect();
    let pages = accounts
        .chunks(size)
        .enumerate()
        .map(|(i, chunk)| {
            serde_json::json!({
                "pagination": {"limit": size, "offset": i * size, "total": total},
                "accounts": chunk,
            })
        })
        .collect();
    let names = accounts.iter().map(|a| a["username"].clone()).collect();
    Ok((pages, names))
}

/// The documented 200 JSON example of the operation at `(path, method)`.
fn documented_example(doc: &Value, (path, method): (&str, &str)) -> Result<Value> {
    let example =
        &doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["example"];
    if example.is_null() {
        bail!("{method} {path} documents no 200 JSON example");
    }
    Ok(example.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metadata() -> Value {
        let dep = |pkg: &str, kind: Value| json!({"pkg": pkg, "dep_kinds": [{"kind": kind}]});
        json!({
            "packages": [
                {"id": "r", "name": "sonoran-runtime", "version": "0.1.0", "rust_version": "1.89"},
                {"id": "a", "name": "sonoran-cad", "version": "0.1.0", "rust_version": "1.89"},
                {"id": "m", "name": "sonoran-cms", "version": "0.1.0", "rust_version": "1.89"},
                {"id": "f", "name": "sonoran-fake", "version": "0.1.0", "rust_version": "1.89"},
                {"id": "n", "name": "normal", "version": "1.0.0", "rust_version": "1.91.1"},
                {"id": "o", "name": "old", "version": "2.0.0", "rust_version": "1.70"},
                {"id": "d", "name": "dev-only", "version": "1.0.0", "rust_version": "1.99"},
                {"id": "t", "name": "transitive", "version": "3.0.0", "rust_version": "1.90"},
                {"id": "x", "name": "none", "version": "1.0.0", "rust_version": null}
            ],
            "resolve": {"nodes": [
                {"id": "r", "deps": [dep("x", Value::Null)]},
                {"id": "a", "deps": [dep("r", Value::Null), dep("n", Value::Null), dep("d", json!("dev")), dep("x", Value::Null)]},
                {"id": "m", "deps": [dep("r", Value::Null)]},
                {"id": "f", "deps": [dep("o", Value::Null)]},
                {"id": "n", "deps": [dep("t", Value::Null)]},
                {"id": "o", "deps": []}, {"id": "d", "deps": []}, {"id": "t", "deps": []},
                {"id": "x", "deps": []}
            ]}
        })
    }

    #[test]
    fn newer_rust_versions_in_the_normal_tree_are_named() {
        let newer = newer_than_msrv(&metadata(), &PUBLISHED, "1.89").unwrap();
        assert_eq!(
            newer,
            [
                "normal 1.0.0 (rust-version 1.91.1)",
                "transitive 3.0.0 (rust-version 1.90)"
            ]
        );
        assert!(
            newer_than_msrv(&metadata(), &PUBLISHED, "1.92")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_missing_root_is_an_error() {
        let err = newer_than_msrv(&metadata(), &["sonoran-cad", "nope"], "1.89").unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
    }

    #[test]
    fn the_scratch_manifest_names_the_features() {
        let m = scratch_manifest(Path::new("/r"), Some(&["http", "native-tls"]));
        assert!(
            m.contains(r#"sonoran-cad = { path = "/r/crates/client", default-features = false, features = ["http", "native-tls"] }"#),
            "{m}"
        );
        assert!(
            scratch_manifest(Path::new("/r"), None)
                .contains(r#"sonoran-cad = { path = "/r/crates/client" }"#)
        );
        assert!(
            scratch_manifest_from(r#"git = "file:///s""#, Some(&["http"])).contains(
                r#"sonoran-cad = { git = "file:///s", default-features = false, features = ["http"] }"#
            )
        );
        assert!(scratch_main().contains(SCRATCH_CALL));
        assert!(scratch_main().contains(SCRATCH_V1_CALL));
    }
}
