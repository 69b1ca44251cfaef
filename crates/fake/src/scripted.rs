//! A scripted HTTP server on loopback, for tests of code that talks to Sonoran: it answers each
//! request with the next scripted reply (the last one again once the script runs out) and
//! records what it received. Where [`crate::FakeServer`] answers as the docs describe,
//! this answers exactly what a test scripts: a malformed body, an odd status, a header.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use sonoran_fake::scripted::{Reply, Server};
//!
//! let server = Server::start().await;
//! server.script(vec![Reply::new(429, "text/plain", "slow down").header("retry-after", "1")]);
//! // point the client under test at `server.url`, call it, then:
//! assert!(server.take().is_empty());
//! # }
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Seen {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

/// One scripted reply.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// A reply with `status`, `content-type` and `body`, and no other header.
    pub fn new(status: u16, content_type: &str, body: &str) -> Self {
        Self {
            status,
            content_type: content_type.into(),
            headers: vec![],
            body: body.into(),
        }
    }

    /// This reply with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

#[derive(Default)]
struct State {
    replies: Vec<Reply>,
    seen: Vec<Seen>,
}

/// The server: on `127.0.0.1`, a free port, until the tokio runtime that started it ends.
#[derive(Debug)]
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("replies", &self.replies.len())
            .field("seen", &self.seen.len())
            .finish()
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panicking test thread must not hide what was recorded from the others.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Server {
    /// Starts the server on a free loopback port.
    ///
    /// # Panics
    /// When no loopback port can be bound (use [`Server::try_start`] to handle that).
    pub async fn start() -> Self {
        Self::try_start()
            .await
            .expect("binding a loopback port for the scripted server")
    }

    /// Starts the server on a free loopback port, or says why it could not.
    pub async fn try_start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(handle(socket, shared.clone()));
            }
        });
        Ok(Self { url, state })
    }

    /// Replies to give, in order; the last one repeats (an empty script answers `200` with an
    /// empty body).
    pub fn script(&self, replies: Vec<Reply>) {
        lock(&self.state).replies = replies;
    }

    /// Everything received so far, and forget it.
    pub fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut lock(&self.state).seen)
    }
}

async fn handle(mut socket: tokio::net::TcpStream, state: Arc<Mutex<State>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let Ok(n) = socket.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let mut start = lines.next().unwrap_or_default().split(' ');
    let method = start.next().unwrap_or_default().to_string();
    let target = start.next().unwrap_or_default().to_string();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let Ok(n) = socket.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
    let reply = {
        let mut s = lock(&state);
        s.seen.push(Seen {
            method,
            target,
            headers,
            body,
        });
        if s.replies.len() > 1 {
            s.replies.remove(0)
        } else {
            s.replies
                .first()
                .cloned()
                .unwrap_or(Reply::new(200, "text/plain", ""))
        }
    };
    let mut out = format!(
        "HTTP/1.1 {} X\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n",
        reply.status,
        reply.content_type,
        reply.body.len()
    );
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&reply.body);
    let _ = socket.write_all(out.as_bytes()).await;
}
