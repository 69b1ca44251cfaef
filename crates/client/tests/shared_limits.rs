//! Rate limits shared between OS processes through a real `redis-server` (the `redis`
//! feature; `cargo xtask test` installs redis-server when it is missing).
//!
//! A custom harness (`harness = false`): the binary is both the test and, re-executed with
//! `SHARED_LIMITS_CHILD` set, each of the four client processes. The parent runs one fake
//! Sonoran server (enforcing the documented limits on a clock scaled 120x: a minute lasts
//! half a second) and its own redis-server on a free loopback port, both stopped at the end
//! whatever happens.
//!
//! 0. No Redis at the URL: a call is paced in-process (default) or fails with the typed
//!    error, unsent (`OnUnavailable::Fail`).
//! 1. Four processes, one key, 25 calls each to getVersion (10 per minute): no 429, and the
//!    whole takes the theoretical minimum (9 windows) plus a small margin.
//! 2. The same, with Redis killed mid-burst: each process paces itself (one warning each)
//!    and every call completes; Redis restarted: the same processes share the limit
//!    again, with no 429 and the same bound.

use sonoran_cad::{Client, Error, OnUnavailable, RateLimitPolicy, RetryPolicy, SharedLimiter};
use sonoran_fake::FakeServer;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const PROCESSES: usize = 4;
const CALLS: usize = 25;
/// getVersion's documented limit per minute.
const PER_WINDOW: usize = 10;
const TIME_SCALE: f64 = 120.0;
const WINDOW: Duration = Duration::from_millis(500);
const MARGIN: Duration = Duration::from_millis(25);
const WARNING: &str = "the shared rate limiter (Redis) does not answer";

fn main() {
    if std::env::var_os("SHARED_LIMITS_CHILD").is_some() {
        child();
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fake = rt.block_on(
        FakeServer::builder()
            .time_scale(TIME_SCALE)
            .enforce_rate_limits(true)
            .start(),
    );
    let mut redis = RedisServer::start();
    let env = ChildEnv {
        url: fake.url().to_string(),
        key: fake.api_key().to_string(),
        redis: redis.url(),
    };

    unreachable_redis(&rt, &fake);

    println!("shared_limits: {PROCESSES} processes x {CALLS} calls, shared through Redis");
    let theory = theoretical_minimum();
    let children = Children::spawn(&env, 1);
    let burst = children.phase(&fake, "A");
    children.finish();
    println!(
        "  {} ok, {} 429s, {:.2} s (theoretical minimum {:.2} s)",
        burst.ok,
        burst.rate_limited,
        burst.seconds,
        theory.as_secs_f64()
    );
    assert_eq!(burst.ok, PROCESSES * CALLS, "every call succeeds");
    assert_eq!(burst.rate_limited, 0, "the shared limit draws no 429");
    burst.assert_not_faster_than(theory);

    // Let the fake's window and Redis' empty before the next run.
    std::thread::sleep(WINDOW + MARGIN * 4);
    fake.reset();

    println!("shared_limits: Redis killed mid-burst, then restarted");
    let children = Children::spawn(&env, 2);
    let (kill_after, killer) = (Duration::from_millis(1200), mpsc::channel::<()>());
    let killed = std::thread::scope(|s| {
        let redis = &mut redis;
        let waiter = s.spawn(move || {
            // Stop early if the children fail before the kill.
            if killer.1.recv_timeout(kill_after).is_err() {
                redis.kill();
                return true;
            }
            false
        });
        let outage = children.phase(&fake, "A");
        let _ = killer.0.send(());
        (outage, waiter.join().unwrap())
    });
    let (outage, was_killed) = killed;
    assert!(was_killed, "Redis was killed during the burst");
    println!(
        "  during the outage: {} ok, {} failed, {} 429 replies retried, {:.2} s",
        outage.ok,
        outage.failed,
        fake.stats().rate_limited,
        outage.seconds
    );
    assert_eq!(
        outage.ok,
        PROCESSES * CALLS,
        "the fallback completes every call"
    );

    redis.restart();
    // A window for the places of the outage to leave the fake's window, and time for
    // the processes' next attempt at Redis.
    std::thread::sleep(WINDOW * 2 + MARGIN * 4);
    fake.reset();
    let resumed = children.phase(&fake, "B");
    let warnings = children.finish();
    println!(
        "  after the restart: {} ok, {} 429s, {:.2} s (theoretical minimum {:.2} s); warnings per process: {warnings:?}",
        resumed.ok,
        resumed.rate_limited,
        resumed.seconds,
        theory.as_secs_f64()
    );
    assert_eq!(
        warnings,
        vec![1; PROCESSES],
        "one warning per process for the outage, not one per call"
    );
    assert_eq!(resumed.ok, PROCESSES * CALLS);
    assert_eq!(resumed.rate_limited, 0, "the shared limit is back: no 429");
    resumed.assert_not_faster_than(theory);
    println!("shared_limits: ok");
}

/// No Redis on the port: by default the call is paced in-process and goes out; with
/// `OnUnavailable::Fail` it fails with the typed error, unsent, ended by the store's own
/// timeout.
fn unreachable_redis(rt: &tokio::runtime::Runtime, fake: &sonoran_fake::FakeHandle) {
    println!("shared_limits: Redis unreachable");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("redis://127.0.0.1:{port}/");
    let client = |policy: OnUnavailable| {
        let shared = SharedLimiter::redis(&dead).unwrap().on_unavailable(policy);
        Client::builder()
            .api_key(fake.api_key())
            .base_url(fake.url())
            .rate_limit(RateLimitPolicy::documented().shared(shared))
            .retry(RetryPolicy::none())
            .build()
            .unwrap()
    };
    rt.block_on(async {
        client(OnUnavailable::PaceLocally)
            .get_version()
            .await
            .expect("paced locally, sent");
        assert_eq!(fake.stats().requests, 1);
        match client(OnUnavailable::Fail).get_version().await {
            Err(Error::SharedLimiterUnavailable { reason }) => {
                assert!(!reason.contains(fake.api_key()), "{reason}");
                // Ended by the store's own bound (its timeout, 250 ms by default, or the
                // refusal itself): what keeps an unreachable Redis from hanging calls.
                assert!(
                    matches!(reason.as_str(), "timed out" | "connection refused"),
                    "{reason}"
                );
                println!(
                    "  Fail policy: {}",
                    Error::SharedLimiterUnavailable { reason }
                );
            }
            other => panic!("expected SharedLimiterUnavailable, got {other:?}"),
        }
        assert_eq!(fake.stats().requests, 1, "the failed call was not sent");
    });
    fake.reset();
}

/// 100 calls at 10 per window: the last ten cannot go out before 9 windows.
fn theoretical_minimum() -> Duration {
    WINDOW * ((PROCESSES * CALLS).div_ceil(PER_WINDOW) as u32 - 1)
}

#[derive(Debug)]
struct Burst {
    ok: usize,
    failed: usize,
    rate_limited: u64,
    seconds: f64,
}

impl Burst {
    /// Not faster than the shared limit allows. (No upper bound: four processes and a
    /// Redis server run on real time here, and speed is `cargo xtask bench`'s to measure;
    /// that the processes do not wait more than they must is the exact schedule of the
    /// in-process pacing tests, on the virtual clock.)
    fn assert_not_faster_than(&self, theory: Duration) {
        let theory = theory.as_secs_f64();
        assert!(
            self.seconds >= theory - 0.05,
            "faster than the limit allows: {:.2} s < {theory:.2} s",
            self.seconds
        );
    }
}

struct ChildEnv {
    url: String,
    key: String,
    redis: String,
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The client processes, killed when dropped.
struct Children {
    procs: Vec<(Child, ChildStdin, mpsc::Receiver<String>)>,
    stderr: Vec<std::thread::JoinHandle<String>>,
}

impl Children {
    fn spawn(env: &ChildEnv, phases: usize) -> Self {
        let exe = std::env::current_exe().unwrap();
        let mut procs = Vec::new();
        let mut stderr = Vec::new();
        for i in 0..PROCESSES {
            let mut child = Command::new(&exe)
                .env("SHARED_LIMITS_CHILD", i.to_string())
                .env("SHARED_LIMITS_URL", &env.url)
                .env("SHARED_LIMITS_KEY", &env.key)
                .env("SHARED_LIMITS_REDIS", &env.redis)
                .env("SHARED_LIMITS_PHASES", phases.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("re-executing the test binary");
            let stdin = child.stdin.take().unwrap();
            let out = BufReader::new(child.stdout.take().unwrap());
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                for line in out.lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            let mut err = BufReader::new(child.stderr.take().unwrap());
            stderr.push(std::thread::spawn(move || {
                let mut text = String::new();
                let _ = std::io::Read::read_to_string(&mut err, &mut text);
                text
            }));
            procs.push((child, stdin, rx));
        }
        Self { procs, stderr }
    }

    /// Starts a burst in every process at the same instant and collects their reports.
    fn phase(&self, fake: &sonoran_fake::FakeHandle, name: &str) -> Burst {
        let start = unix_ms() + 300;
        for (_, stdin, _) in &self.procs {
            let mut stdin = stdin;
            writeln!(stdin, "{name} {start}").expect("a child is gone");
            stdin.flush().unwrap();
        }
        let (mut ok, mut failed, mut end) = (0, 0, start);
        for (i, (_, _, rx)) in self.procs.iter().enumerate() {
            // Ends when the process reports or its output closes (it died): no deadline.
            let line = rx
                .recv()
                .unwrap_or_else(|_| panic!("process {i} ended without reporting phase {name}"));
            let report: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("process {i}: {e}: {line}"));
            ok += report["ok"].as_u64().unwrap() as usize;
            failed += report["failed"].as_u64().unwrap() as usize;
            end = end.max(report["end_ms"].as_u64().unwrap());
        }
        Burst {
            ok,
            failed,
            rate_limited: fake.stats().rate_limited,
            seconds: (end - start) as f64 / 1000.0,
        }
    }

    /// Waits for every process to exit; returns how many outage warnings each logged.
    fn finish(mut self) -> Vec<usize> {
        let mut warnings = Vec::new();
        for ((mut child, stdin, _), err) in self.procs.drain(..).zip(self.stderr.drain(..)) {
            drop(stdin);
            let status = child.wait().unwrap();
            let err = err.join().unwrap();
            assert!(status.success(), "a client process failed: {err}");
            warnings.push(err.matches(WARNING).count());
        }
        warnings
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for (child, _, _) in &mut self.procs {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One client process: for each line `NAME START_MS` on stdin, a burst of 25 calls
/// starting at START_MS (unix ms), then a JSON report line.
fn child() {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let var = |name: &str| std::env::var(name).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let shared = SharedLimiter::redis(&var("SHARED_LIMITS_REDIS")).unwrap();
    let client = Client::builder()
        .api_key(var("SHARED_LIMITS_KEY"))
        .base_url(var("SHARED_LIMITS_URL"))
        .rate_limit(
            RateLimitPolicy::documented()
                .with_window(WINDOW)
                .with_margin(MARGIN)
                .shared(shared),
        )
        // While Redis is down, four processes pacing alone draw 429s: retried until done.
        .retry(RetryPolicy {
            max_retries: 20,
            initial_backoff: Duration::from_millis(100),
            max_wait: Duration::from_secs(2),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let phases: usize = var("SHARED_LIMITS_PHASES").parse().unwrap();
    let stdin = std::io::stdin();
    for _ in 0..phases {
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).unwrap() == 0 {
            return;
        }
        let start: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        std::thread::sleep(Duration::from_millis(start.saturating_sub(unix_ms())));
        let (ok, failed) = rt.block_on(async {
            let calls: Vec<_> = (0..CALLS)
                .map(|_| {
                    let c = client.clone();
                    tokio::spawn(async move { c.get_version().await })
                })
                .collect();
            let (mut ok, mut failed) = (0, 0);
            for call in calls {
                match call.await.unwrap() {
                    Ok(_) => ok += 1,
                    Err(e) => {
                        eprintln!("call failed: {e}");
                        failed += 1;
                    }
                }
            }
            (ok, failed)
        });
        println!(
            "{}",
            serde_json::json!({ "ok": ok, "failed": failed, "end_ms": unix_ms() })
        );
    }
}

/// A redis-server of this test's own on a free loopback port, with a temporary data
/// directory; killed when dropped.
struct RedisServer {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisServer {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Self {
            port,
            dir: tempfile::tempdir().unwrap(),
            child: None,
        };
        server.restart();
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn restart(&mut self) {
        let bin = which("redis-server").expect(
            "redis-server is not on PATH: install it (apt-get install -y redis-server; `cargo xtask test` does)",
        );
        let child = Command::new(bin)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting redis-server");
        self.child = Some(child);
        // Until it listens, or fails: no deadline of wall-clock time, the process's own exit
        // (a taken port, a bad argument) is the failure.
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("redis-server did not start: it exited with {status}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no goodbye to the clients.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
