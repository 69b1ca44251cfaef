//! `sonoran-bench <what>`: one measurement, printed as JSON on stdout for `cargo xtask bench`.
//!
//! - `serve`: a minimal HTTP/1.1 server on loopback that answers every request with the
//!   documented getVersion reply (CMS's getSubVersion reply, in its envelope, for
//!   `/v2/community/sub-version`), so that the client's own cost is not hidden behind a
//!   server's; prints its URL and serves until stdin closes.
//! - `cpu URL RUNS CALLS`, `instr PATH CALLS URL`, `memory PATH CLIENTS URL`, `fake-serve`,
//!   `fake-load URL KEY PID SECONDS CONCURRENCY STATS`: see [`cost`].
//! - `overhead URL`: the same v2 call (GET /v2/general/version) through
//!   `sonoran_cad::Client` and through raw reqwest + serde_json, interleaved runs.
//! - `limiter URL`: the client with pacing off vs on (a limit it never reaches), to show
//!   what the limiter and hooks cost when they do not wait.
//! - `pacing`: a burst of 100 calls to a 10-per-minute operation against the fake server
//!   with a scaled clock: 429s drawn and total time against the theoretical minimum.
//! - `shared REDIS_URL`: four processes (this binary again, `shared-child`) with one key
//!   burst 25 calls each at getVersion against one fake server, limits shared through
//!   Redis or paced in each process alone, interleaved runs.
//! - `shared-cost URL REDIS_URL`: the client with pacing in-process vs shared through Redis
//!   (a limit it never reaches): what the Redis round trip adds to a call that does not
//!   wait.
//! - `units`: the websocket `unitLocation` sender against the fake's hub, 25 and 500 units
//!   each updated every 10 ms for 5 s: unit updates and messages the hub accepted per
//!   second, limit breaches it recorded.

use anyhow::{Context, Result, bail};
use serde::Serialize;
use sonoran_cad::{Client, RateLimitPolicy, RetryPolicy};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod cost;
mod heap;

/// Counts live heap bytes and allocations for the memory figures (see [`heap`]).
#[global_allocator]
static ALLOCATOR: heap::Counting = heap::Counting;

const REPLY: &str = r#"{"version":2,"name":"PLUS"}"#;
const CMS_REPLY: &str = r#"{"success":true,"data":{"subVersion":5,"tier":"SonoranOne"},"meta":{"timestamp":"2026-04-15T00:00:00.000Z","path":"/v2/community/sub-version"}}"#;
const CALLS_PER_RUN: usize = 2000;
const RUNS: usize = 7;

#[derive(Serialize)]
struct Series {
    /// Microseconds per call, one value per run.
    per_call_us: Vec<f64>,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, what: &str| -> Result<&str> {
        args.get(i)
            .map(String::as_str)
            .with_context(|| format!("usage: sonoran-bench {what}"))
    };
    match args.first().map(String::as_str) {
        Some("cpu") => {
            let usage = "cpu URL RUNS CALLS";
            return cost::cpu(
                arg(1, usage)?,
                arg(2, usage)?.parse()?,
                arg(3, usage)?.parse()?,
            );
        }
        Some("instr") => {
            let usage = "instr PATH CALLS URL";
            return cost::instr(arg(1, usage)?, arg(2, usage)?.parse()?, arg(3, usage)?);
        }
        Some("memory") => {
            let usage = "memory PATH CLIENTS URL";
            return cost::memory(arg(1, usage)?, arg(2, usage)?.parse()?, arg(3, usage)?);
        }
        Some("fake-serve") => return cost::fake_serve(),
        Some("fake-load") => {
            let usage = "fake-load URL KEY PID SECONDS CONCURRENCY STATS";
            return cost::fake_load(
                arg(1, usage)?,
                arg(2, usage)?,
                arg(3, usage)?.parse()?,
                arg(4, usage)?.parse()?,
                arg(5, usage)?.parse()?,
                arg(6, usage)?,
            );
        }
        _ => {}
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match args.first().map(String::as_str) {
        Some("serve") => rt.block_on(serve()),
        Some("overhead") => rt.block_on(overhead(args.get(1).context("overhead URL")?)),
        Some("limiter") => rt.block_on(limiter(args.get(1).context("limiter URL")?)),
        Some("pacing") => rt.block_on(pacing()),
        Some("shared") => rt.block_on(shared(args.get(1).context("shared REDIS_URL")?)),
        Some("shared-child") => rt.block_on(shared_child()),
        Some("units") => rt.block_on(units()),
        Some("shared-cost") => rt.block_on(shared_cost(
            args.get(1).context("shared-cost URL REDIS_URL")?,
            args.get(2).context("shared-cost URL REDIS_URL")?,
        )),
        _ => bail!(
            "usage: sonoran-bench serve | cpu URL RUNS CALLS | instr PATH CALLS URL | memory PATH CLIENTS URL | fake-serve | fake-load URL KEY PID SECONDS CONCURRENCY STATS | overhead URL | limiter URL | pacing | shared REDIS_URL | shared-cost URL REDIS_URL | units"
        ),
    }
}

async fn serve() -> Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut filled = 0;
                loop {
                    let Ok(n) = socket.read(&mut buf[filled..]).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    filled += n;
                    // GET requests without bodies: one request per blank line.
                    while let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                        let body = if buf[..end].starts_with(b"GET /v2/community/sub-version ") {
                            CMS_REPLY
                        } else {
                            REPLY
                        };
                        let reply = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if socket.write_all(reply.as_bytes()).await.is_err() {
                            return;
                        }
                        buf.copy_within(end + 4..filled, 0);
                        filled -= end + 4;
                    }
                    if filled == buf.len() {
                        return;
                    }
                }
            });
        }
    });
    // Serve until the parent closes our stdin.
    let mut stdin = tokio::io::stdin();
    let mut sink = Vec::new();
    let _ = stdin.read_to_end(&mut sink).await;
    Ok(())
}

async fn time_calls<F, Fut>(mut call: F) -> Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let start = Instant::now();
    for _ in 0..CALLS_PER_RUN {
        call().await?;
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / CALLS_PER_RUN as f64)
}

fn client(url: &str, rate_limit: RateLimitPolicy) -> Result<Client> {
    Ok(Client::builder()
        .api_key("bench-key")
        .base_url(url)
        .rate_limit(rate_limit)
        .retry(RetryPolicy::none())
        .build()?)
}

async fn overhead(url: &str) -> Result<()> {
    let sonoran = client(url, RateLimitPolicy::off())?;
    let raw = reqwest::Client::new();
    let endpoint = format!("{url}/v2/general/version");
    let raw_call = || {
        let raw = raw.clone();
        let endpoint = endpoint.clone();
        async move {
            let reply = raw
                .get(&endpoint)
                .bearer_auth("bench-key")
                .header("accept", "application/json")
                .send()
                .await?;
            let body = reply.bytes().await?;
            let _: serde_json::Value = serde_json::from_slice(&body)?;
            Ok(())
        }
    };
    let client_call = || {
        let c = sonoran.clone();
        async move {
            c.get_version().await?;
            Ok(())
        }
    };
    // Warm both connection pools, then interleave runs so drift hits both alike.
    time_calls(raw_call).await?;
    time_calls(client_call).await?;
    let (mut client_series, mut raw_series) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        client_series.push(time_calls(client_call).await?);
        raw_series.push(time_calls(raw_call).await?);
    }
    println!(
        "{}",
        serde_json::json!({ "client": Series { per_call_us: client_series }, "raw": Series { per_call_us: raw_series } })
    );
    Ok(())
}

async fn limiter(url: &str) -> Result<()> {
    let off = client(url, RateLimitPolicy::off())?;
    // A limit that is never reached: the limiter and hooks run, but never wait.
    let on = client(
        url,
        RateLimitPolicy::documented().with_limit(sonoran_cad::Operation::GetVersion, 1_000_000),
    )?;
    let call = |c: &Client| {
        let c = c.clone();
        move || {
            let c = c.clone();
            async move {
                c.get_version().await?;
                Ok(())
            }
        }
    };
    time_calls(call(&off)).await?;
    time_calls(call(&on)).await?;
    let (mut on_series, mut off_series) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        on_series.push(time_calls(call(&on)).await?);
        off_series.push(time_calls(call(&off)).await?);
    }
    println!(
        "{}",
        serde_json::json!({ "limiter_on": Series { per_call_us: on_series }, "limiter_off": Series { per_call_us: off_series } })
    );
    Ok(())
}

/// The websocket sender under a producer that updates every unit every 10 ms.
async fn units() -> Result<()> {
    use sonoran_cad::websocket::{Session, UnitLocation, UnitTarget};
    const SECONDS: f64 = 5.0;
    let fake = sonoran_fake::FakeServer::start().await;
    let mut runs = Vec::new();
    for run in 0..6 {
        let count: i64 = if run % 2 == 0 { 25 } else { 500 };
        fake.reset();
        let session = Session::builder()
            .url(fake.url())
            .community_id(fake.community_id())
            .api_key(fake.api_key())
            .server_id(1)
            .connect()
            .await?;
        let units = session.unit_locations();
        let start = Instant::now();
        let mut tick = 0u64;
        while start.elapsed().as_secs_f64() < SECONDS {
            for n in 0..count {
                units.update(
                    UnitLocation::new(UnitTarget::IdentId(n), format!("tick {tick}")).coordinates(
                        tick as f64,
                        n as f64,
                        0.0,
                        0.0,
                    ),
                );
            }
            tick += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let seconds = start.elapsed().as_secs_f64();
        let stats = fake.hub_stats();
        runs.push(serde_json::json!({
            "units": count,
            "seconds": seconds,
            "updates_given": tick * count as u64,
            "unit_updates_per_second": stats.unit_updates as f64 / seconds,
            "messages_per_second": stats.unit_location_messages as f64 / seconds,
            "max_units_in_message": stats.max_units_in_message,
            "min_interval_ms": stats.min_unit_interval_ms,
            "violations": stats.violations.len(),
        }));
        session.close();
    }
    println!("{}", serde_json::json!({ "runs": runs }));
    Ok(())
}

async fn pacing() -> Result<()> {
    // 60x: the fake's minute lasts one real second; the client is told the same window.
    let fake = sonoran_fake::FakeServer::builder()
        .time_scale(60.0)
        .enforce_rate_limits(true)
        .start()
        .await;
    let client = Client::builder()
        .api_key(fake.api_key())
        .base_url(fake.url())
        .rate_limit(
            RateLimitPolicy::documented()
                .with_window(Duration::from_secs(1))
                .with_margin(Duration::from_millis(2)),
        )
        .retry(RetryPolicy::none())
        .build()?;
    let mut runs = Vec::new();
    for _ in 0..3 {
        fake.reset();
        let start = Instant::now();
        let calls: Vec<_> = (0..100)
            .map(|_| {
                let c = client.clone();
                tokio::spawn(async move { c.get_version().await })
            })
            .collect();
        let mut failed = 0;
        for call in calls {
            if call.await?.is_err() {
                failed += 1;
            }
        }
        let elapsed = start.elapsed().as_secs_f64();
        runs.push(serde_json::json!({ "seconds": elapsed, "failed": failed, "rate_limited": fake.stats().rate_limited }));
        // Let the window empty before the next run.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    // 100 calls at 10 per window: the last ten go out after 9 full windows.
    println!(
        "{}",
        serde_json::json!({ "calls": 100, "per_window": 10, "window_seconds": 1.0, "theoretical_seconds": 9.0, "runs": runs })
    );
    Ok(())
}

const SHARED_PROCESSES: usize = 4;
const SHARED_CALLS: usize = 25;
/// The fake's minute lasts half a second; the client is given the same window.
const SHARED_SCALE: f64 = 120.0;
const SHARED_WINDOW: Duration = Duration::from_millis(500);

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

async fn shared(redis_url: &str) -> Result<()> {
    let fake = sonoran_fake::FakeServer::builder()
        .time_scale(SHARED_SCALE)
        .enforce_rate_limits(true)
        .start()
        .await;
    let exe = std::env::current_exe()?;
    let mut runs = Vec::new();
    for run in 0..6 {
        // Interleaved: shared, in-process, shared, ...
        let shared = run % 2 == 0;
        // Let the fake's window (and Redis') empty first.
        tokio::time::sleep(SHARED_WINDOW * 2).await;
        fake.reset();
        let start = unix_ms() + 300;
        let mut children = Vec::new();
        for _ in 0..SHARED_PROCESSES {
            let mut cmd = tokio::process::Command::new(&exe);
            cmd.arg("shared-child")
                .env("BENCH_URL", fake.url())
                .env("BENCH_KEY", fake.api_key())
                .env("BENCH_START_MS", start.to_string())
                .stdout(std::process::Stdio::piped())
                .kill_on_drop(true);
            if shared {
                cmd.env("BENCH_REDIS", redis_url);
            }
            children.push(cmd.spawn()?);
        }
        let (mut end, mut failed) = (start, 0u64);
        for child in children {
            let out = child.wait_with_output().await?;
            if !out.status.success() {
                bail!("a shared-child failed ({})", out.status);
            }
            let r: serde_json::Value = serde_json::from_slice(&out.stdout)?;
            end = end.max(r["end_ms"].as_u64().unwrap_or(0));
            failed += r["failed"].as_u64().unwrap_or(0);
        }
        runs.push(serde_json::json!({
            "shared": shared,
            "seconds": (end - start) as f64 / 1000.0,
            "failed": failed,
            "rate_limited": fake.stats().rate_limited,
        }));
    }
    let calls = SHARED_PROCESSES * SHARED_CALLS;
    let theory = SHARED_WINDOW.as_secs_f64() * (calls.div_ceil(10) - 1) as f64;
    println!(
        "{}",
        serde_json::json!({ "processes": SHARED_PROCESSES, "calls": calls, "per_window": 10,
            "window_seconds": SHARED_WINDOW.as_secs_f64(), "theoretical_seconds": theory, "runs": runs })
    );
    Ok(())
}

/// One process of `shared`: a burst of 25 calls at BENCH_START_MS, no retries (a 429 is a
/// failed call), limits shared through BENCH_REDIS when set.
async fn shared_child() -> Result<()> {
    let var = |name: &str| std::env::var(name).with_context(|| name.to_string());
    let mut policy = RateLimitPolicy::documented()
        .with_window(SHARED_WINDOW)
        .with_margin(Duration::from_millis(25));
    if let Ok(url) = std::env::var("BENCH_REDIS") {
        policy = policy.shared(sonoran_cad::SharedLimiter::redis(&url)?);
    }
    let client = Client::builder()
        .api_key(var("BENCH_KEY")?)
        .base_url(var("BENCH_URL")?)
        .rate_limit(policy)
        .retry(RetryPolicy::none())
        .build()?;
    let start: u64 = var("BENCH_START_MS")?.parse()?;
    tokio::time::sleep(Duration::from_millis(start.saturating_sub(unix_ms()))).await;
    let calls: Vec<_> = (0..SHARED_CALLS)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.get_version().await })
        })
        .collect();
    let mut failed = 0;
    for call in calls {
        if call.await?.is_err() {
            failed += 1;
        }
    }
    println!(
        "{}",
        serde_json::json!({ "failed": failed, "end_ms": unix_ms() })
    );
    Ok(())
}

async fn shared_cost(url: &str, redis_url: &str) -> Result<()> {
    // A limit that is never reached: the limiter runs, but never waits.
    let policy =
        RateLimitPolicy::documented().with_limit(sonoran_cad::Operation::GetVersion, 1_000_000);
    let local = client(url, policy.clone())?;
    let shared = client(
        url,
        policy.shared(sonoran_cad::SharedLimiter::redis(redis_url)?),
    )?;
    let call = |c: &Client| {
        let c = c.clone();
        move || {
            let c = c.clone();
            async move {
                c.get_version().await?;
                Ok(())
            }
        }
    };
    time_calls(call(&local)).await?;
    time_calls(call(&shared)).await?;
    let (mut shared_series, mut local_series) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        shared_series.push(time_calls(call(&shared)).await?);
        local_series.push(time_calls(call(&local)).await?);
    }
    println!(
        "{}",
        serde_json::json!({ "shared": Series { per_call_us: shared_series }, "in_process": Series { per_call_us: local_series } })
    );
    Ok(())
}
