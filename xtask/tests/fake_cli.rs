//! `cargo xtask fake` as a user runs it: the binary in a child process, its first line read
//! from stdout, then one request to the address that line names.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// Kills the child on every exit path (a failed assertion included).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `xtask fake <args> --addr 127.0.0.1:0`; its first line and the child.
fn start(args: &[&str]) -> (String, Running) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("fake")
        .args(args)
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawning xtask fake");
    let stdout = child.stdout.take().expect("piped stdout");
    let running = Running(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("reading the first line");
    (line.trim_end().to_owned(), running)
}

/// `GET path` on `authority` over HTTP/1.1 with `Connection: close`: the whole reply.
fn get(authority: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(authority).expect("connecting to the fake");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
}

/// `http://ADDR` of a first line of the shape `fake <product> server on http://ADDR (...)`.
fn authority(line: &str, product: &str) -> String {
    let prefix = format!("fake {product} server on http://");
    let rest = line
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("first line {line:?} does not start with {prefix:?}"));
    let (addr, tail) = rest.split_once(' ').expect("an address, then the details");
    assert_eq!(
        tail,
        "(community YOUR_COMMUNITY_ID, key YOUR_API_KEY; control API under /__fake/)"
    );
    addr.to_owned()
}

#[test]
fn cms_fake_prints_its_address_and_serves_cms() {
    let (line, _child) = start(&["--api", "cms"]);
    let addr = authority(&line, "Sonoran CMS");
    let info = get(&addr, "/__fake/info");
    assert!(info.starts_with("HTTP/1.1 200"), "{info}");
    assert!(info.contains(r#""wsUrl":null"#), "{info}");
    let refused = get(&addr, "/v2/community");
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    assert!(
        refused
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{refused}"
    );
}

#[test]
fn cad_fake_keeps_its_first_line() {
    let (line, _child) = start(&[]);
    let addr = authority(&line, "Sonoran CAD");
    let info = get(&addr, "/__fake/info");
    assert!(info.contains(r#""wsUrl":"ws://"#), "{info}");
}

#[test]
fn help_names_both_apis() {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["fake", "--help"])
        .output()
        .expect("running xtask fake --help");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("--api cad|cms"), "{text}");
    assert!(text.contains("127.0.0.1:8788"), "{text}");
}
