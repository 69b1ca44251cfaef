//! A test step: the `push_listener` example, run once as a user would run it. It is
//! started on a free loopback port, sent a forged event (wrong key) and then a documented
//! one over plain HTTP, and must print exactly the accepted event as one JSON line.

use anyhow::{Context, Result, bail, ensure};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

/// The example as a child process, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn post(addr: &str, body: &str) -> Result<u16> {
    let mut stream = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "POST /sonorancad/event HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    reply
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("no HTTP status in {reply:?}"))
}

pub fn run(root: &Path) -> Result<()> {
    println!("\n==> push_listener example (one forged and one real event over loopback HTTP)");
    let key = "push-listener-test-key-7c1e";
    let child = crate::cargo()
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "-p",
            "sonoran-cad",
            "--example",
            "push_listener",
            "--",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("SONORAN_API_KEY", key)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting the push_listener example")?;
    let mut running = Running(child);
    let mut stderr = BufReader::new(running.0.stderr.take().expect("piped"));
    let mut stdout = BufReader::new(running.0.stdout.take().expect("piped"));
    let mut line = String::new();
    let addr = loop {
        line.clear();
        if stderr.read_line(&mut line)? == 0 {
            bail!("push_listener exited before it listened");
        }
        if let Some(rest) = line.trim().strip_prefix("listening on http://") {
            break rest.trim_end_matches("/sonorancad/event").to_string();
        }
    };
    let forged = r#"{"key": "not-the-key", "type": "EVENT_UNIT_LOGOUT", "data": {"identId": 9}}"#;
    ensure!(post(&addr, forged)? == 401, "a wrong key must get 401");
    let real = format!(
        r#"{{"key": "{key}", "type": "EVENT_UNIT_STATUS", "data": [{{"identIds": 1, "status": 2}}]}}"#
    );
    ensure!(post(&addr, &real)? == 200, "the real event must get 200");
    line.clear();
    stdout.read_line(&mut line)?;
    let printed: serde_json::Value = serde_json::from_str(line.trim())
        .with_context(|| format!("the printed line {line:?} is not JSON"))?;
    let expected = serde_json::json!({ "type": "EVENT_UNIT_STATUS", "data": { "identIds": [1], "status": 2 } });
    ensure!(
        printed == expected,
        "push_listener printed {printed}, expected {expected}"
    );
    ensure!(!line.contains(key), "the key must never be printed");
    println!("push_listener printed {printed}");
    Ok(())
}
