//! Receives Sonoran CAD's push events over HTTP (the fallback delivery, `POST
//! /sonorancad/event`) and prints one JSON line per accepted event: its `type` and its
//! decoded payload.
//!
//! ```text
//! SONORAN_API_KEY=... cargo run -p sonoran-cad --example push_listener -- --listen 0.0.0.0:30120
//! ```
//!
//! Refused requests (wrong key: 401, not an event: 400) print nothing on stdout; the address
//! it listens on goes to stderr.

use hyper_util::rt::TokioIo;
use sonoran_cad::ApiKey;
use sonoran_cad::events::PushReceiver;
use std::io::Write as _;
use std::process::ExitCode;
use tower_service::Service as _;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let listen = match (args.next().as_deref(), args.next()) {
        (Some("--listen"), Some(addr)) => addr,
        _ => {
            eprintln!("usage: push_listener --listen ADDR   (the API key from SONORAN_API_KEY)");
            return ExitCode::from(2);
        }
    };
    let key = match std::env::var("SONORAN_API_KEY") {
        Ok(k) if !k.trim().is_empty() => ApiKey::new(k),
        _ => {
            eprintln!("push_listener: set SONORAN_API_KEY to the community's API key");
            return ExitCode::from(2);
        }
    };
    let receiver = PushReceiver::new(key, |event| {
        let line = serde_json::to_string(&event).expect("an event serializes");
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    });
    let socket = match tokio::net::TcpListener::bind(&listen).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("push_listener: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = socket.local_addr().expect("a bound socket has an address");
    eprintln!("listening on http://{addr}/sonorancad/event");
    loop {
        let stream = match socket.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("push_listener: accept failed: {e}");
                continue;
            }
        };
        let receiver = receiver.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let mut receiver = receiver.clone();
                async move { receiver.call(request).await }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
