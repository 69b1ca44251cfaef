//! `cargo xtask fake [--api cad|cms] [--addr ADDR]`: a fake Sonoran server (crate
//! `sonoran-fake`) in the foreground, for Node and browser tests and for developing a bot
//! offline.

use anyhow::{Context, Result, bail};
use sonoran_fake::{FakeApi, FakeServer};
use std::io::Write;

/// `cargo xtask fake --help`.
pub const HELP: &str = "\
cargo xtask fake [--api cad|cms] [--addr ADDR]

Runs a fake Sonoran API server (crate sonoran-fake) in the foreground until Ctrl-C: every
v1 and v2 operation of the API's merged document, with its auth, body validation and
documented replies, fault injection and the HTTP control API under /__fake/.

  --api cad|cms   which API (default cad); cms answers v2 replies in the
                  {success, data, meta} envelope and has no websocket hub
  --addr ADDR     where to listen (default 127.0.0.1:8787 for cad, 127.0.0.1:8788 for cms,
                  so both can run side by side; port 0 picks a free one)
  -h, --help      this text

The first line on stdout is
  fake Sonoran CAD server on http://ADDR (community C, key K; control API under /__fake/)
(`Sonoran CMS` for --api cms) with the address actually bound.
";

/// What `cargo xtask fake` was asked to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub api: FakeApi,
    pub addr: String,
}

/// The default address of each API's fake: CAD's `127.0.0.1:8787`, CMS's `127.0.0.1:8788`.
pub fn default_addr(api: FakeApi) -> &'static str {
    match api {
        FakeApi::Cms => "127.0.0.1:8788",
        _ => "127.0.0.1:8787",
    }
}

/// The arguments after `fake`; `None` for `--help`.
pub fn parse_args(args: &[String]) -> Result<Option<Options>> {
    let mut api = None;
    let mut addr = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--api" => {
                let id = args.next().context("`--api` needs a value (cad, cms)")?;
                let chosen = FakeApi::from_id(id).with_context(|| {
                    format!("unknown API `{id}` for `cargo xtask fake`; known: cad, cms")
                })?;
                if api.replace(chosen).is_some() {
                    bail!("`--api` given twice");
                }
            }
            "--addr" => {
                let value = args
                    .next()
                    .context("`--addr` needs a value (127.0.0.1:PORT)")?;
                if addr.replace(value.clone()).is_some() {
                    bail!("`--addr` given twice");
                }
            }
            other => bail!(
                "unexpected argument `{other}`\nusage: cargo xtask fake [--api cad|cms] \
                 [--addr 127.0.0.1:PORT] (--help for more)"
            ),
        }
    }
    let api = api.unwrap_or_default();
    Ok(Some(Options {
        api,
        addr: addr.unwrap_or_else(|| default_addr(api).to_owned()),
    }))
}

/// The first line `cargo xtask fake` prints.
pub fn first_line(api: FakeApi, url: &str, community_id: &str, api_key: &str) -> String {
    format!(
        "fake {} server on {url} (community {community_id}, key {api_key}; control API under \
         /__fake/)",
        api.product()
    )
}

/// Serves the fake `api` on `addr` (e.g. `127.0.0.1:8787`; port 0 picks a free one) with the
/// default community id and key, until Ctrl-C.
///
/// The first line on stdout is `fake Sonoran CAD server on http://ADDR (...)` (`Sonoran CMS`
/// for CMS) with the address actually bound, flushed at once: a Node test that spawns this
/// with port 0 reads that line to learn the port. The HTTP control API is under
/// `http://ADDR/__fake/`.
pub fn run(api: FakeApi, addr: &str) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(async {
        let fake = FakeServer::builder()
            .api(api)
            .start_on(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let mut stdout = std::io::stdout().lock();
        writeln!(
            stdout,
            "{}",
            first_line(api, &fake.url(), fake.community_id(), fake.api_key())
        )
        .and_then(|()| stdout.flush())
        .context("writing to stdout")?;
        drop(stdout);
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        fake.shutdown().await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options() {
        let parsed = |list: &[&str]| parse_args(&args(list)).unwrap().unwrap();
        assert_eq!(
            parsed(&[]),
            Options {
                api: FakeApi::Cad,
                addr: "127.0.0.1:8787".into()
            }
        );
        assert_eq!(
            parsed(&["--api", "cms"]),
            Options {
                api: FakeApi::Cms,
                addr: "127.0.0.1:8788".into()
            }
        );
        assert_eq!(
            parsed(&["--addr", "127.0.0.1:0", "--api", "cms"]),
            Options {
                api: FakeApi::Cms,
                addr: "127.0.0.1:0".into()
            }
        );
        assert_eq!(parse_args(&args(&["--help"])).unwrap(), None);
        let err = |list: &[&str]| parse_args(&args(list)).unwrap_err().to_string();
        assert!(err(&["--api", "rms"]).contains("unknown API `rms`"));
        assert!(err(&["--api"]).contains("needs a value"));
        assert!(err(&["--addr"]).contains("needs a value"));
        assert!(err(&["--port", "1"]).contains("unexpected argument `--port`"));
        assert!(err(&["--api", "cad", "--api", "cms"]).contains("given twice"));
    }

    #[test]
    fn first_lines_have_one_shape() {
        assert_eq!(
            first_line(FakeApi::Cad, "http://127.0.0.1:1", "C", "K"),
            "fake Sonoran CAD server on http://127.0.0.1:1 (community C, key K; control API \
             under /__fake/)"
        );
        assert_eq!(
            first_line(FakeApi::Cms, "http://127.0.0.1:1", "C", "K"),
            "fake Sonoran CMS server on http://127.0.0.1:1 (community C, key K; control API \
             under /__fake/)"
        );
    }
}
