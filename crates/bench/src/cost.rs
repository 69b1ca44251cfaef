//! Per-call cost measured so that it holds on a shared machine: CPU time of this process
//! (user + system, every thread) beside wall time, instruction counts under
//! callgrind, and resident memory from `/proc/self/status`.
//!
//! The server always runs in another process (`sonoran-bench serve`), so the CPU time and
//! the instructions counted here are the client's own work: building the request, hyper's
//! and the kernel's send and receive on this side, reading and decoding the reply.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::json;
use std::time::{Duration, Instant};

/// The paths compared: each API's client and the raw reqwest + serde_json call it stands
/// for; and, for reference, that raw call with the clients' default timeout on its
/// `reqwest::Client` (what a timeout that really cancels costs raw reqwest itself).
pub const PATHS: [&str; 6] = [
    "cad_client",
    "cad_raw",
    "cms_client",
    "cms_raw",
    "cad_raw_timeout",
    "cms_raw_timeout",
];

/// The clients' default timeout (`ClientBuilder::timeout`), for the raw reference paths.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// CPU time of this process so far: user + system, all threads
/// (`clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`, the sum `getrusage(RUSAGE_SELF)` gives, at
/// nanosecond resolution and without `unsafe`).
pub fn cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// `VmRSS` and `VmHWM` of this process, in KiB.
pub fn resident_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The typed reply of CAD's `getVersion`, decoded by the raw path.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Version {
    version: i64,
    name: String,
}

/// The typed reply of CMS's `getSubVersion` (its `{success, data, meta}` envelope).
#[derive(Deserialize)]
#[allow(dead_code)]
struct SubVersionReply {
    success: bool,
    data: SubVersion,
    meta: Option<Meta>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
struct SubVersion {
    sub_version: i64,
    tier: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Meta {
    timestamp: Option<String>,
    path: Option<String>,
}

/// One of [`PATHS`], ready to call.
pub enum Path {
    Cad(sonoran_cad::Client),
    Cms(sonoran_cms::Client),
    Raw {
        http: reqwest::Client,
        url: String,
        cms: bool,
    },
}

/// A CAD client with its defaults (timeout, retry rules) and pacing on, with a limit for
/// `getVersion` that the bench never reaches.
pub fn cad_client(url: &str) -> Result<sonoran_cad::Client> {
    Ok(sonoran_cad::Client::builder()
        .api_key("bench-key")
        .base_url(url)
        .rate_limit(
            sonoran_cad::RateLimitPolicy::documented()
                .with_limit(sonoran_cad::Operation::GetVersion, 1_000_000),
        )
        .build()?)
}

/// The same for CMS and `getSubVersion`.
pub fn cms_client(url: &str) -> Result<sonoran_cms::Client> {
    Ok(sonoran_cms::Client::builder()
        .community_id("bench-community")
        .api_key("bench-key")
        .base_url(url)
        .rate_limit(
            sonoran_cms::RateLimitPolicy::documented()
                .with_limit(sonoran_cms::Operation::GetSubVersion, 1_000_000),
        )
        .build()?)
}

impl Path {
    pub fn new(name: &str, url: &str) -> Result<Self> {
        Ok(match name {
            "cad_client" => Self::Cad(cad_client(url)?),
            "cms_client" => Self::Cms(cms_client(url)?),
            // For the memory comparison only: the same client with pacing off.
            "cad_client_unpaced" => Self::Cad(
                sonoran_cad::Client::builder()
                    .api_key("bench-key")
                    .base_url(url)
                    .rate_limit(sonoran_cad::RateLimitPolicy::off())
                    .build()?,
            ),
            "cad_raw" => Self::Raw {
                http: reqwest::Client::new(),
                url: format!("{url}/v2/general/version"),
                cms: false,
            },
            "cms_raw" => Self::Raw {
                http: reqwest::Client::new(),
                url: format!("{url}/v2/community/sub-version"),
                cms: true,
            },
            "cad_raw_timeout" => Self::Raw {
                http: reqwest::Client::builder().timeout(CLIENT_TIMEOUT).build()?,
                url: format!("{url}/v2/general/version"),
                cms: false,
            },
            "cms_raw_timeout" => Self::Raw {
                http: reqwest::Client::builder().timeout(CLIENT_TIMEOUT).build()?,
                url: format!("{url}/v2/community/sub-version"),
                cms: true,
            },
            other => bail!("unknown path `{other}` (known: {})", PATHS.join(", ")),
        })
    }

    /// One call, its reply decoded into a typed value.
    pub async fn call(&self) -> Result<()> {
        match self {
            Self::Cad(c) => {
                std::hint::black_box(c.get_version().await?);
            }
            Self::Cms(c) => {
                std::hint::black_box(c.get_sub_version().await?);
            }
            Self::Raw { http, url, cms } => {
                let reply = http
                    .get(url)
                    .bearer_auth("bench-key")
                    .header("accept", "application/json")
                    .send()
                    .await?
                    .error_for_status()?;
                let body = reply.bytes().await?;
                if *cms {
                    std::hint::black_box(serde_json::from_slice::<SubVersionReply>(&body)?);
                } else {
                    std::hint::black_box(serde_json::from_slice::<Version>(&body)?);
                }
            }
        }
        Ok(())
    }
}

fn current_thread() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// `cpu URL RUNS CALLS`: RUNS rounds; in each, every path makes CALLS calls (the order of
/// the paths rotates from round to round), timed in wall and CPU time. One round of
/// warm-up first, not reported. Prints `{path: {wall_us: [...], cpu_us: [...]}}`, per call.
pub fn cpu(url: &str, runs: usize, calls: usize) -> Result<()> {
    let rt = current_thread()?;
    rt.block_on(async {
        let paths: Vec<Path> = PATHS
            .iter()
            .map(|p| Path::new(p, url))
            .collect::<Result<_>>()?;
        let mut wall = vec![Vec::new(); PATHS.len()];
        let mut cpu = vec![Vec::new(); PATHS.len()];
        for round in 0..=runs {
            for k in 0..PATHS.len() {
                let i = (round + k) % PATHS.len();
                let (t, c) = (Instant::now(), cpu_time());
                for _ in 0..calls {
                    paths[i].call().await?;
                }
                let (dc, dt) = (cpu_time() - c, t.elapsed());
                if round > 0 {
                    wall[i].push(dt.as_secs_f64() * 1e6 / calls as f64);
                    cpu[i].push(dc.as_secs_f64() * 1e6 / calls as f64);
                }
            }
        }
        let out: serde_json::Map<String, serde_json::Value> = PATHS
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    p.to_string(),
                    json!({ "wall_us": wall[i], "cpu_us": cpu[i] }),
                )
            })
            .collect();
        println!("{}", serde_json::Value::Object(out));
        Ok(())
    })
}

/// `instr PATH CALLS URL`: ten warm-up calls, then CALLS calls, on one thread; run under
/// `valgrind --tool=callgrind` by `cargo xtask bench`, which subtracts two such runs with
/// different CALLS so that start-up (TLS roots, runtime, first connection) cancels out.
pub fn instr(path: &str, calls: usize, url: &str) -> Result<()> {
    let rt = current_thread()?;
    rt.block_on(async {
        let p = Path::new(path, url)?;
        for _ in 0..10 + calls {
            p.call().await?;
        }
        Ok(())
    })
}

/// `memory PATH CLIENTS URL`: memory of a process holding CLIENTS clients of PATH
/// (`cad_client`: `sonoran_cad::Client`, defaults, pacing on; `cad_raw`: a plain
/// `reqwest::Client`, and `cad_client_unpaced`: the client with pacing off, for
/// comparison): before building them, idle, after 1000, 10,000 and 20,000 calls (spread
/// over the clients in turn). At each stage the live heap (bytes and allocations, from the
/// counting allocator, [`crate::heap`]) and the resident set. Prints
/// `{path, clients, stages: [{stage, calls, rss_kib, hwm_kib, live_bytes, live_allocations}]}`.
pub fn memory(path: &str, clients: usize, url: &str) -> Result<()> {
    let rt = current_thread()?;
    rt.block_on(async {
        let mut stages = Vec::new();
        let mut mark = |stage: &str, calls: usize| {
            let (rss, hwm) = resident_kib();
            let (live_bytes, live_allocations) = crate::heap::live();
            stages.push(
                json!({ "stage": stage, "calls": calls, "rss_kib": rss, "hwm_kib": hwm,
                "live_bytes": live_bytes, "live_allocations": live_allocations }),
            );
        };
        mark("no client", 0);
        let all: Vec<Path> = (0..clients)
            .map(|_| Path::new(path, url))
            .collect::<Result<_>>()?;
        mark("idle", 0);
        let mut done = 0;
        for target in [1000, 10_000, 20_000] {
            while done < target {
                all[done % clients].call().await?;
                done += 1;
            }
            mark("after calls", done);
        }
        println!(
            "{}",
            json!({ "path": path, "clients": clients, "stages": stages })
        );
        Ok(())
    })
}

/// The fake's operation the load uses: `lookupNameOrPlate`, whose body the fake validates
/// against the schema on every request.
pub const LOAD_PATH: &str = "/v2/general/lookups";
pub const LOAD_BODY: &str = r#"{"first": "John", "last": "Doe", "mi": "", "plate": "", "notifyCommunityUserId": "player-1234", "types": [7, 12], "partial": true}"#;

/// `fake-serve`: the CAD fake (validation on, as always; rate limits not enforced) on a
/// two-worker runtime; prints `URL KEY STATS` and serves until stdin closes. `STATS` is a
/// loopback address where each connection is answered with this process's live heap,
/// `BYTES ALLOCATIONS` (see [`fake_live_heap`]).
pub fn fake_serve() -> Result<()> {
    let stats = std::net::TcpListener::bind("127.0.0.1:0")?;
    let stats_addr = stats.local_addr()?;
    std::thread::spawn(move || {
        for mut conn in stats.incoming().flatten() {
            let (bytes, allocations) = crate::heap::live();
            let _ =
                std::io::Write::write_all(&mut conn, format!("{bytes} {allocations}\n").as_bytes());
        }
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let fake = sonoran_fake::FakeServer::start().await;
        println!("{} {} {stats_addr}", fake.url(), fake.api_key());
        let mut stdin = tokio::io::stdin();
        let mut sink = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut stdin, &mut sink).await;
        Ok(())
    })
}

/// `VmRSS` of process `pid` in KiB, and its CPU time so far (user + system).
fn process_figures(pid: u32) -> Result<(u64, Duration)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').context("/proc/PID/stat")? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 here (0-based).
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    let hz = rustix::param::clock_ticks_per_second().max(1);
    Ok((rss, Duration::from_millis(ticks * 1000 / hz)))
}

/// The live heap of a `fake-serve` process, asked at its `STATS` address: (bytes,
/// allocations). Read once its requests are answered, after a short pause so that the
/// fake's tasks for the last ones have ended.
fn fake_live_heap(stats: &str) -> Result<(u64, u64)> {
    std::thread::sleep(Duration::from_millis(100));
    let mut line = String::new();
    std::io::Read::read_to_string(&mut std::net::TcpStream::connect(stats)?, &mut line)?;
    let mut parts = line.split_whitespace().map(str::parse::<u64>);
    match (parts.next(), parts.next()) {
        (Some(Ok(bytes)), Some(Ok(allocations))) => Ok((bytes, allocations)),
        _ => bail!("the fake's stats address {stats} answered `{line}`"),
    }
}

/// `fake-load URL KEY PID SECONDS CONCURRENCY STATS`: against the fake (process PID) at
/// URL, `POST /v2/general/lookups` with a valid body from CONCURRENCY connections: its
/// resident memory and live heap (asked at STATS, see [`fake_serve`]) after 1000, 10,000
/// and 20,000 requests, then the requests per second it served for SECONDS and the CPU
/// time it used for them (read from /proc).
pub fn fake_load(
    url: &str,
    key: &str,
    pid: u32,
    seconds: f64,
    concurrency: usize,
    stats: &str,
) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let http = reqwest::Client::new();
        let endpoint = format!("{url}{LOAD_PATH}");
        let one = |http: reqwest::Client, endpoint: String, key: String| async move {
            let reply = http
                .post(&endpoint)
                .bearer_auth(&key)
                .header("content-type", "application/json")
                .body(LOAD_BODY)
                .send()
                .await?;
            let status = reply.status();
            reply.bytes().await?;
            if !status.is_success() {
                bail!("the fake answered {status} to the load request");
            }
            anyhow::Ok(())
        };
        // Requests in batches of CONCURRENCY until `target` in all.
        let mut sent = 0usize;
        let mut memory = Vec::new();
        for target in [1000usize, 10_000, 20_000] {
            while sent < target {
                let n = concurrency.min(target - sent);
                let batch: Vec<_> = (0..n)
                    .map(|_| tokio::spawn(one(http.clone(), endpoint.clone(), key.to_string())))
                    .collect();
                for b in batch {
                    b.await??;
                }
                sent += n;
            }
            let (live_bytes, live_allocations) = fake_live_heap(stats)?;
            let (rss, _) = process_figures(pid)?;
            memory.push(json!({ "requests": sent, "rss_kib": rss,
                "live_bytes": live_bytes, "live_allocations": live_allocations }));
        }
        // Throughput: CONCURRENCY loops for SECONDS.
        let (_, cpu_before) = process_figures(pid)?;
        let own_before = cpu_time();
        let start = Instant::now();
        let deadline = start + Duration::from_secs_f64(seconds);
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                let (http, endpoint, key) = (http.clone(), endpoint.clone(), key.to_string());
                tokio::spawn(async move {
                    let mut done = 0u64;
                    while Instant::now() < deadline {
                        one(http.clone(), endpoint.clone(), key.clone()).await?;
                        done += 1;
                    }
                    anyhow::Ok(done)
                })
            })
            .collect();
        let mut requests = 0;
        for w in workers {
            requests += w.await??;
        }
        let elapsed = start.elapsed().as_secs_f64();
        let (rss_after, cpu_after) = process_figures(pid)?;
        println!(
            "{}",
            json!({
                "memory": memory,
                "requests": requests,
                "seconds": elapsed,
                "fake_cpu_seconds": (cpu_after - cpu_before).as_secs_f64(),
                "load_cpu_seconds": (cpu_time() - own_before).as_secs_f64(),
                "rss_after_kib": rss_after,
                "total_requests": sent as u64 + requests,
            })
        );
        Ok(())
    })
}
