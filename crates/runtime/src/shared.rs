//! Rate limits shared between processes: the places of the windows kept in Redis, so that
//! several processes using one API key stay, together, within the documented limits.
//!
//! Each bucket (API key and operation) is one sorted set: a member per place (a ticket from
//! the bucket's counter), scored with the time (Redis' own clock, ms) at which the place
//! leaves the window. A place in flight is scored a lease ahead (so that a process that dies
//! mid-request does not hold it forever); its release rescores it to "reply time + window".
//! The check-and-take is one Lua script, so it is atomic on the server; both keys get a
//! PEXPIRE on every write and vanish on their own once no place counts. Keys hold a SHA-256
//! of the API key, never the key.

use crate::ApiKey;
use crate::limiter::{Bucket, IN_FLIGHT_POLL, InProcess, Store, StoreError, StoreFuture, Take};
use redis::aio::ConnectionManager;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::Duration;

/// What happens to a call when the shared store does not answer in time (Redis down,
/// unreachable or slow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnUnavailable {
    /// Pace in this process alone, as a client without a shared limiter does, until the
    /// store answers again (the default). The places this process took through the store
    /// still count. One `tracing` warning when the store stops answering, one info event
    /// when it is back.
    #[default]
    PaceLocally,
    /// Fail the call with [`crate::Error::SharedLimiterUnavailable`], without sending it.
    Fail,
}

/// Rate limits shared by every process using one API key, through Redis. Give it to
/// [`crate::RateLimitPolicy::shared`]; clones share one connection.
#[derive(Clone)]
pub struct SharedLimiter {
    redis: Arc<Redis>,
    timeout: Duration,
    lease: Duration,
    on_unavailable: OnUnavailable,
    /// A hash of the API key, set when the client is built.
    scope: Option<Arc<str>>,
}

impl PartialEq for SharedLimiter {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.redis, &other.redis)
            && self.timeout == other.timeout
            && self.lease == other.lease
            && self.on_unavailable == other.on_unavailable
            && self.scope == other.scope
    }
}

impl fmt::Debug for SharedLimiter {
    // No URL (it may hold a password) and no scope.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedLimiter")
            .field("store", &"redis")
            .field("timeout", &self.timeout)
            .field("in_flight_lease", &self.lease)
            .field("on_unavailable", &self.on_unavailable)
            .finish()
    }
}

/// Why [`SharedLimiter::redis`] refused a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRedisUrl(String);

impl fmt::Display for InvalidRedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid Redis URL ({}); expected e.g. redis://127.0.0.1:6379/",
            self.0
        )
    }
}

impl std::error::Error for InvalidRedisUrl {}

impl SharedLimiter {
    /// Limits shared through the Redis server at `url` (`redis://[:password@]host[:port][/db]`).
    /// Nothing connects until the first paced call; the connection is re-made when lost.
    pub fn redis(url: &str) -> Result<Self, InvalidRedisUrl> {
        let client = redis::Client::open(url)
            // The URL may carry a password: say what is wrong, not what was given.
            .map_err(|e| InvalidRedisUrl(format!("{:?}", e.kind())))?;
        Ok(Self {
            redis: Arc::new(Redis {
                client,
                connection: OnceLock::new(),
                outage: Mutex::new(None),
            }),
            timeout: Duration::from_millis(250),
            lease: Duration::from_secs(120),
            on_unavailable: OnUnavailable::default(),
            scope: None,
        })
    }

    /// The longest a call waits for one Redis operation (default 250 ms); past it the store
    /// counts as unavailable.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// What to do with calls while the store does not answer (default
    /// [`OnUnavailable::PaceLocally`]).
    pub fn on_unavailable(mut self, policy: OnUnavailable) -> Self {
        self.on_unavailable = policy;
        self
    }

    /// How long a place taken for a request in flight stays taken if its release never
    /// comes (its process died; default 120 s). Keep it longer than the client's timeout.
    pub fn in_flight_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Binds the limiter to the client's key (a hash of it).
    pub(crate) fn for_key(mut self, key: &ApiKey) -> Self {
        self.scope = Some(scope_of(key).into());
        self
    }

    /// The store of one client: the shared windows, with this process's own pacing
    /// beside them.
    pub(crate) fn store(self) -> Shared {
        Shared {
            scope: self.scope.clone().unwrap_or_else(|| "unkeyed".into()),
            shared: self,
            local: InProcess::default(),
        }
    }
}

/// SHA-256 of the key (with a fixed prefix of this crate's), hex.
fn scope_of(key: &ApiKey) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"sonoran-cad rate limits\0");
    h.update(key.expose().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

struct Redis {
    client: redis::Client,
    connection: OnceLock<Result<ConnectionManager, String>>,
    outage: Mutex<Option<Outage>>,
}

struct Outage {
    /// When to ask the store again (clock::now_ms); until then calls do not wait for it.
    retry_at_ms: f64,
    reason: String,
}

/// After a failure, how long calls go without asking the store.
const RETRY_EVERY_MS: f64 = 500.0;

/// Places given by this process's own pacing while the store is unavailable, told apart
/// from the store's tickets (which count up from 1).
const LOCAL_TICKET: u64 = 1 << 63;

impl Redis {
    fn connection(&self, timeout: Duration) -> Result<ConnectionManager, StoreError> {
        // Made lazily, inside the runtime, without connecting yet.
        self.connection
            .get_or_init(|| {
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(2)
                    .set_min_delay(Duration::from_millis(50))
                    .set_max_delay(Duration::from_millis(500));
                ConnectionManager::new_lazy_with_config(self.client.clone(), config)
                    .map_err(|e| describe(&e))
            })
            .clone()
            .map_err(StoreError::Unavailable)
    }

    fn outage<T>(&self, f: impl FnOnce(&mut Option<Outage>) -> T) -> T {
        f(&mut self.outage.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// A Redis error as a short description: its kind, never its text (which may name the
/// server or the command's arguments).
fn describe(e: &redis::RedisError) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connection_refusal() {
        "connection refused".into()
    } else if e.is_connection_dropped() {
        "connection dropped".into()
    } else {
        format!("{:?}", e.kind())
    }
}

/// KEYS[1] the bucket's places, KEYS[2] its ticket counter; ARGV: "take" or "release",
/// limit, window (ms), lease (ms), ticket (release). Replies {1, ticket} for a place,
/// {0, ms} to wait, {0, -1} when every place is in flight.
static SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[3])
local ttl = window + tonumber(ARGV[4])
if ARGV[1] == 'release' then
  redis.call('ZADD', KEYS[1], 'XX', now + window, ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  return {1, 0}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  local ticket = redis.call('INCR', KEYS[2])
  redis.call('ZADD', KEYS[1], now + ttl, ticket)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  return {1, ticket}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local frees = tonumber(first[2])
if frees > now + window then
  return {0, -1}
end
return {0, math.max(1, math.ceil(frees - now))}
",
    )
});

/// One client's store: the shared windows in Redis, and this process's own pacing, which
/// knows the places the store gave this process and takes over when the store fails (as
/// the policy says).
pub(crate) struct Shared {
    shared: SharedLimiter,
    scope: Arc<str>,
    local: InProcess,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("shared", &self.shared)
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn keys(&self, operation_id: &str) -> (String, String) {
        let places = format!("sonoran-cad:rl:{{{}:{operation_id}}}", self.scope);
        let counter = format!("{places}:seq");
        (places, counter)
    }

    fn window_ms(bucket: &Bucket<'_>) -> u64 {
        (bucket.window.as_secs_f64() * 1000.0).ceil() as u64
    }

    async fn ask(&self, bucket: Bucket<'_>) -> Result<Take, StoreError> {
        let mut connection = self.shared.redis.connection(self.shared.timeout)?;
        let (places, counter) = self.keys(bucket.operation_id);
        let mut call = SCRIPT.key(places);
        call.key(counter)
            .arg("take")
            .arg(bucket.limit)
            .arg(Self::window_ms(&bucket))
            .arg(self.shared.lease.as_millis() as u64);
        // One budget for the call; a dropped connection is tried once more within it (the
        // manager re-makes the connection when a command fails on it).
        let deadline = tokio::time::Instant::now() + self.shared.timeout;
        let mut retried = false;
        let reply: (i64, i64) = loop {
            match tokio::time::timeout_at(deadline, call.invoke_async(&mut connection)).await {
                Ok(Ok(reply)) => break reply,
                Ok(Err(e)) if !retried && !e.is_timeout() => retried = true,
                Ok(Err(e)) => return Err(StoreError::Unavailable(describe(&e))),
                Err(_) => return Err(StoreError::Unavailable("timed out".into())),
            }
        };
        Ok(match reply {
            (1, ticket) => Take::Taken(ticket as u64),
            (_, -1) => Take::Wait(IN_FLIGHT_POLL),
            (_, ms) => Take::Wait(Duration::from_millis(ms.max(1) as u64)),
        })
    }

    fn answered(&self) {
        if let Some(outage) = self.shared.redis.outage(Option::take) {
            tracing::info!(
                was = %outage.reason,
                "the shared rate limiter answers again: limits are shared again"
            );
        }
    }

    fn failed(&self, StoreError::Unavailable(reason): &StoreError) {
        let now = crate::clock::now_ms();
        self.shared.redis.outage(|outage| {
            if outage.is_none() {
                tracing::warn!(
                    reason = %reason,
                    policy = ?self.shared.on_unavailable,
                    "the shared rate limiter (Redis) does not answer; until it does, {}",
                    match self.shared.on_unavailable {
                        OnUnavailable::PaceLocally => "each process paces its own calls",
                        OnUnavailable::Fail => "paced calls fail",
                    }
                );
            }
            *outage = Some(Outage {
                retry_at_ms: now + RETRY_EVERY_MS,
                reason: reason.clone(),
            });
        });
    }

    /// The store is down: the policy decides.
    fn unavailable(&self, bucket: Bucket<'_>, error: StoreError) -> Result<Take, StoreError> {
        match self.shared.on_unavailable {
            OnUnavailable::Fail => Err(error),
            OnUnavailable::PaceLocally => Ok(
                match self.local.acquire(
                    bucket.operation_id,
                    bucket.limit,
                    bucket.window.as_secs_f64() * 1000.0,
                    crate::clock::now_ms(),
                ) {
                    Take::Taken(ticket) => Take::Taken(ticket | LOCAL_TICKET),
                    wait => wait,
                },
            ),
        }
    }
}

impl Store for Shared {
    fn take<'a>(&'a self, bucket: Bucket<'a>) -> StoreFuture<'a, Result<Take, StoreError>> {
        Box::pin(async move {
            let down = self.shared.redis.outage(|o| {
                o.as_ref()
                    .filter(|o| crate::clock::now_ms() < o.retry_at_ms)
                    .map(|o| StoreError::Unavailable(o.reason.clone()))
            });
            if let Some(error) = down {
                return self.unavailable(bucket, error);
            }
            match self.ask(bucket).await {
                Ok(take) => {
                    self.answered();
                    if let Take::Taken(_) = take {
                        // Known here too, should the store fail before it leaves the window.
                        self.local.force(bucket.operation_id);
                    }
                    Ok(take)
                }
                Err(error) => {
                    self.failed(&error);
                    self.unavailable(bucket, error)
                }
            }
        })
    }

    fn release(&self, bucket: Bucket<'_>, ticket: u64) {
        self.local
            .release_at(bucket.operation_id, crate::clock::now_ms());
        if ticket & LOCAL_TICKET != 0 {
            return;
        }
        // From a Drop: sent on a task of its own. Without a runtime (or a connection), the
        // place frees at the end of its lease.
        let (Ok(runtime), Ok(mut connection)) = (
            tokio::runtime::Handle::try_current(),
            self.shared.redis.connection(self.shared.timeout),
        ) else {
            return;
        };
        let (places, counter) = self.keys(bucket.operation_id);
        let window = Self::window_ms(&bucket);
        let (lease, timeout) = (self.shared.lease.as_millis() as u64, self.shared.timeout);
        runtime.spawn(async move {
            let mut call = SCRIPT.key(places);
            call.key(counter)
                .arg("release")
                .arg(0)
                .arg(window)
                .arg(lease)
                .arg(ticket);
            let sent =
                tokio::time::timeout(timeout, call.invoke_async::<(i64, i64)>(&mut connection))
                    .await;
            if !matches!(sent, Ok(Ok(_))) {
                tracing::debug!(
                    "a shared rate-limit place was not released; it frees when its lease ends"
                );
            }
        });
    }
}

/// Marks the reply [`crate::limiter::Held::send`] makes up for a call the policy fails.
#[derive(Debug, Clone)]
pub(crate) struct Refused(pub String);

pub(crate) fn refusal(reason: &str) -> reqwest::Response {
    let mut reply = http::Response::new(String::new());
    *reply.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
    reply.extensions_mut().insert(Refused(reason.to_string()));
    reqwest::Response::from(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hold_a_hash_of_the_api_key_never_the_key() {
        let shared = SharedLimiter::redis("redis://:hunter2@127.0.0.1:1/")
            .unwrap()
            .for_key(&ApiKey::new("s3cr3t-key"));
        let store = shared.clone().store();
        let (places, counter) = store.keys("getVersion");
        for text in [
            &places,
            &counter,
            &format!("{shared:?}"),
            &format!("{store:?}"),
        ] {
            assert!(!text.contains("s3cr3t"), "{text}");
            assert!(!text.contains("hunter2"), "{text}");
        }
        assert_eq!(places.len(), "sonoran-cad:rl:{:getVersion}".len() + 64);
        assert!(places.ends_with(":getVersion}"), "{places}");
        assert_eq!(counter, format!("{places}:seq"));
        let other = SharedLimiter::redis("redis://127.0.0.1:1/")
            .unwrap()
            .for_key(&ApiKey::new("another-key"))
            .store();
        assert_ne!(other.keys("getVersion").0, places, "one bucket per key");
    }

    #[test]
    fn a_bad_url_is_refused_without_echoing_it() {
        let err = SharedLimiter::redis("http://:hunter2@nowhere").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
