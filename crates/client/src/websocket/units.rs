//! `unitLocation` updates: the documented object, and the sender that keeps the latest
//! position per unit and sends at most 25 units a message, one message per 250 ms after
//! the previous one was answered, so a caller may update any number of units as often as
//! it likes.

use super::{Command, SessionState, WsError};
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, oneshot, watch};

/// Documented: at most 25 unit update objects per `unitLocation` call.
pub const MAX_UNITS_PER_MESSAGE: usize = 25;
/// Documented: at most one `unitLocation` call every 250 ms. The sender waits this long
/// after the previous call was answered, so the hub never sees two calls closer.
pub const UNIT_INTERVAL: Duration = Duration::from_millis(250);

/// Which unit an update is for (each update names exactly one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum UnitTarget {
    /// The unit's community user id.
    CommunityUserId(String),
    /// A Roblox user id.
    Roblox(i64),
    /// One of the account's API ids (e.g. `STEAM:1234`).
    ApiId(String),
    /// An identifier id.
    IdentId(i64),
}

impl UnitTarget {
    /// `communityUserId:player-1`: one key per unit.
    fn key(&self) -> String {
        match self {
            UnitTarget::CommunityUserId(s) => format!("communityUserId:{s}"),
            UnitTarget::Roblox(n) => format!("roblox:{n}"),
            UnitTarget::ApiId(s) => format!("apiId:{s}"),
            UnitTarget::IdentId(n) => format!("identId:{n}"),
        }
    }
}

/// Map coordinates and heading (`w`): the spec's `Coordinates`, the type the REST calls use
/// (one type for the concept). [`UnitLocation::coordinates`] sets all four axes, as the hub
/// docs show them.
pub use crate::types::Coordinates;

/// A unit's position: the documented `unitLocationObject`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UnitLocation {
    #[serde(flatten)]
    pub unit: UnitTarget,
    /// The location text (`"US-101 / Exit 15"`).
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coordinates: Option<Coordinates>,
    /// Only for P2P bodycam streams.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_id: Option<String>,
    /// The 3D model on the live map (`{model, zOffset, lightZOffset, sizeOffset,
    /// headingOffset, lights}`), as documented.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<Value>,
}

impl UnitLocation {
    pub fn new(unit: UnitTarget, location: impl Into<String>) -> Self {
        UnitLocation {
            unit,
            location: location.into(),
            coordinates: None,
            peer_id: None,
            vehicle: None,
        }
    }

    #[must_use]
    pub fn coordinates(mut self, x: f64, y: f64, z: f64, w: f64) -> Self {
        self.coordinates = Some(Coordinates {
            x: Some(x),
            y: Some(y),
            z: Some(z),
            w: Some(w),
        });
        self
    }

    #[must_use]
    pub fn peer_id(mut self, peer_id: impl Into<String>) -> Self {
        self.peer_id = Some(peer_id.into());
        self
    }

    #[must_use]
    pub fn vehicle(mut self, vehicle: Value) -> Self {
        self.vehicle = Some(vehicle);
        self
    }
}

/// The updates not yet sent: the latest per unit, in the order the units first changed.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    order: VecDeque<String>,
    latest: HashMap<String, (u64, UnitLocation)>,
    next_version: u64,
}

impl Pending {
    /// Keeps `update` as the unit's latest; the unit keeps its place in the queue.
    pub(crate) fn put(&mut self, update: UnitLocation) {
        let key = update.unit.key();
        self.next_version += 1;
        if self
            .latest
            .insert(key.clone(), (self.next_version, update))
            .is_none()
        {
            self.order.push_back(key);
        }
    }

    /// Up to `max` updates, oldest-queued units first, with their versions.
    pub(crate) fn take(&mut self, max: usize) -> Vec<(u64, UnitLocation)> {
        let mut out = Vec::new();
        while out.len() < max {
            let Some(key) = self.order.pop_front() else {
                break;
            };
            if let Some(entry) = self.latest.remove(&key) {
                out.push(entry);
            }
        }
        out
    }

    /// Puts back updates that were not delivered, unless a newer one for the unit came in.
    pub(crate) fn restore(&mut self, batch: Vec<(u64, UnitLocation)>) {
        for (version, update) in batch.into_iter().rev() {
            let key = update.unit.key();
            if !self.latest.contains_key(&key) {
                self.order.push_front(key.clone());
                self.latest.insert(key, (version, update));
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.latest.len()
    }
}

/// Counters of a sender.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnitStats {
    /// `unitLocation` calls the hub accepted.
    pub messages: u64,
    /// Unit updates in them.
    pub units: u64,
    /// Updates replaced by a newer one for the same unit before they were sent.
    pub superseded: u64,
    /// Calls the hub refused or that were cut by a disconnect (their updates are sent again).
    pub failures: u64,
    /// The hub's last refusal, as it said it.
    pub last_error: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) pending: Mutex<Pending>,
    pub(crate) stats: Mutex<UnitStats>,
    pub(crate) wake: Notify,
    /// Woken after each call, for [`UnitLocations::flushed`].
    pub(crate) sent: Notify,
    /// A batch has been taken and not yet answered.
    pub(crate) in_flight: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Sends `unitLocation` updates over a session: [`Session::unit_locations`](super::Session::unit_locations).
/// Cheap to clone; clones feed the same queue.
#[derive(Clone)]
pub struct UnitLocations {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for UnitLocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnitLocations")
            .field("pending", &lock(&self.shared.pending).len())
            .finish()
    }
}

impl UnitLocations {
    /// Records `update` as its unit's latest position; it goes out with the next message
    /// (an older update for the same unit not yet sent is replaced). Never blocks.
    pub fn update(&self, update: UnitLocation) {
        let mut pending = lock(&self.shared.pending);
        let before = pending.len();
        pending.put(update);
        if pending.len() == before {
            lock(&self.shared.stats).superseded += 1;
        }
        drop(pending);
        self.shared.wake.notify_one();
    }

    /// Units whose latest update has not been sent yet.
    pub fn pending(&self) -> usize {
        lock(&self.shared.pending).len()
    }

    pub fn stats(&self) -> UnitStats {
        lock(&self.shared.stats).clone()
    }

    /// Waits until every update given so far has been accepted by the hub.
    pub async fn flushed(&self) {
        loop {
            let sent = self.shared.sent.notified();
            tokio::pin!(sent);
            sent.as_mut().enable();
            if self.pending() == 0 && !self.in_flight() {
                return;
            }
            sent.await;
        }
    }

    fn in_flight(&self) -> bool {
        self.shared.in_flight.load(Ordering::Acquire)
    }
}

/// The sender's loop, one per session: waits for updates, sends a batch, waits for the
/// answer and then [`UNIT_INTERVAL`], and again.
pub(crate) async fn flush_loop(
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
    mut state: watch::Receiver<SessionState>,
) {
    loop {
        // Send only while connected and authenticated; stop when the session closed.
        match state
            .wait_for(|s| matches!(s, SessionState::Connected | SessionState::Closed))
            .await
        {
            Ok(s) if *s == SessionState::Connected => {}
            _ => return,
        }
        let woken = shared.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let batch = {
            let mut pending = lock(&shared.pending);
            let batch = pending.take(MAX_UNITS_PER_MESSAGE);
            shared.in_flight.store(!batch.is_empty(), Ordering::Release);
            batch
        };
        if batch.is_empty() {
            shared.sent.notify_waiters();
            tokio::select! {
                () = &mut woken => continue,
                _ = closed(&mut state) => return,
            }
        }
        let payload: Vec<Value> = batch
            .iter()
            .filter_map(|(_, u)| serde_json::to_value(u).ok())
            .collect();
        let (reply, answer) = oneshot::channel();
        let sent = commands.send(Command::Invoke {
            target: "unitLocation",
            arguments: vec![Value::Array(payload)],
            reply,
        });
        if sent.is_err() {
            return; // the session is gone
        }
        let outcome = tokio::select! {
            outcome = answer => outcome.unwrap_or(Err(WsError::Closed)),
            _ = closed(&mut state) => return,
        };
        let failure = match outcome {
            Ok(result) if result.get("success").and_then(Value::as_bool) == Some(true) => None,
            Ok(result) => Some(
                result
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("unitLocation was refused without a reason")
                    .to_owned(),
            ),
            Err(WsError::Closed) => return,
            Err(e) => Some(e.to_string()),
        };
        {
            let mut stats = lock(&shared.stats);
            match failure {
                None => {
                    stats.messages += 1;
                    stats.units += batch.len() as u64;
                }
                Some(error) => {
                    stats.failures += 1;
                    stats.last_error = Some(error);
                    drop(stats);
                    lock(&shared.pending).restore(batch);
                }
            }
        }
        shared.in_flight.store(false, Ordering::Release);
        shared.sent.notify_waiters();
        tokio::select! {
            () = tokio::time::sleep(UNIT_INTERVAL) => {}
            _ = closed(&mut state) => return,
        }
    }
}

/// Resolves when the session is closed.
async fn closed(state: &mut watch::Receiver<SessionState>) {
    let _ = state.wait_for(|s| *s == SessionState::Closed).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn unit(n: i64, loc: &str) -> UnitLocation {
        UnitLocation::new(UnitTarget::IdentId(n), loc)
    }

    #[test]
    fn serializes_as_documented() {
        let u = UnitLocation::new(UnitTarget::CommunityUserId("player-1".into()), "I-4")
            .coordinates(1.0, 2.0, 3.0, 90.0);
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            json!({"communityUserId": "player-1", "location": "I-4",
                   "coordinates": {"x": 1.0, "y": 2.0, "z": 3.0, "w": 90.0}})
        );
        assert_eq!(
            serde_json::to_value(unit(42, "x")).unwrap(),
            json!({"identId": 42, "location": "x"})
        );
    }

    #[test]
    fn keeps_the_latest_per_unit_in_first_change_order() {
        let mut p = Pending::default();
        p.put(unit(1, "a"));
        p.put(unit(2, "a"));
        p.put(unit(1, "b"));
        assert_eq!(p.len(), 2);
        let batch = p.take(1);
        assert_eq!(batch[0].1, unit(1, "b"));
        p.put(unit(3, "a"));
        p.restore(batch);
        let rest: Vec<UnitLocation> = p.take(10).into_iter().map(|(_, u)| u).collect();
        assert_eq!(rest, [unit(1, "b"), unit(2, "a"), unit(3, "a")]);
    }

    #[test]
    fn a_newer_update_wins_over_a_restored_one() {
        let mut p = Pending::default();
        p.put(unit(1, "old"));
        let batch = p.take(25);
        p.put(unit(1, "new"));
        p.restore(batch);
        assert_eq!(p.take(25)[0].1, unit(1, "new"));
    }
}
