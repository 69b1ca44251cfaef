// `sonoran-cad/websocket`: a session with Sonoran CAD's websocket API (`/apiWsHub`) over the
// official SignalR client (`@microsoft/signalr`, as Sonoran's docs use it). A separate entry
// point: a page or a bot that only makes REST calls loads none of it.
//
// The session connects as SignalR does by default (negotiate, then the websocket with the
// connection token), as Sonoran's own FiveM resource (`sonorancad/core/apiws.js`) does, or
// with `skipNegotiation: true` straight to the websocket, as Sonoran's docs show. It
// authenticates with `authenticatev2`, reconnects after a drop on the first-party schedule (at
// once, then after 2, 10 and 30 s, then every 30 s) and authenticates again after every
// reconnect, keeps alive with SignalR's pings, reports `connected` / `disconnected` /
// `reconnecting` / `reconnected` / `closed`, and hands out push events (`on(type, handler)`,
// typed and checked by event name, or `for await`, whose queue is bounded and fills only
// while someone iterates). `unitLocations.update(...)` keeps the latest position per unit and
// sends at most 25 units a message, one message 250 ms after the previous one was answered.
// `cargo xtask wasm` also emits a CommonJS copy (websocket.cjs) of this file, so imports stay
// of the `import { ... } from '...'` form.
import { HubConnectionBuilder, HttpTransportType, LogLevel } from '@microsoft/signalr';
import { timingSafeEqual } from 'node:crypto';
import { decodePushEvent, DOCUMENTED_TYPES } from './events.mjs';

/** Documented: at most 25 unit update objects per `unitLocation` call. */
export const MAX_UNITS_PER_MESSAGE = 25;
/** Documented: one `unitLocation` every 250 ms (the sender waits that long after each answer). */
export const UNIT_INTERVAL_MS = 250;
const PRODUCTION_URL = 'https://api.sonorancad.com';
/** The server whose push events a session receives unless told otherwise: 1, as the REST client's `serverId`. */
export const DEFAULT_SERVER_ID = 1;
/** How many events `for await` keeps for a reader that is busy, unless `maxQueuedEvents` says otherwise. */
export const DEFAULT_MAX_QUEUED_EVENTS = 1000;
/** What `on(type)` takes besides a documented event type. */
export const SESSION_EVENTS = Object.freeze(['*', 'error', 'connected', 'disconnected', 'reconnecting', 'reconnected', 'closed']);
const DOCUMENTED = new Set(DOCUMENTED_TYPES);

/**
 * Why a session failed: `kind` is `config`, `connect`, `auth`, `event`, `invocation`,
 * `closed` or `overflow` (events dropped from a full `for await` queue), as `SonoranError` and
 * `PushEventError` name their category; `code` is the same value, kept as a deprecated alias.
 * The API key never appears in it.
 */
export class WebsocketError extends Error {
  constructor(kind, message, options) {
    super(message, options);
    this.name = 'WebsocketError';
    this.kind = kind;
  }

  /** @deprecated Use `kind`. */
  get code() {
    return this.kind;
  }
}

function sameKey(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  // Compare equal lengths in constant time; a length mismatch still costs one comparison.
  return x.length === y.length ? timingSafeEqual(x, y) : (timingSafeEqual(x, x), false);
}

/** `https://host` or `wss://host/apiWsHub` to the hub's URL as SignalR takes it: http(s), `/apiWsHub` added. */
function hubUrl(url) {
  if (typeof url !== 'string' || !/^(https?|wss?):\/\/[^/?#]+$|^(https?|wss?):\/\/[^/?#]+\/[^?#]*$/i.test(url)) {
    throw new WebsocketError('config', `baseUrl: expected an absolute http(s) or ws(s) URL without query, got ${JSON.stringify(url)}`);
  }
  const trimmed = url.replace(/\/+$/, '').replace(/^ws(s?):/i, 'http$1:');
  return /\/apiWsHub$/.test(trimmed) ? trimmed : `${trimmed}/apiWsHub`;
}

/** The first-party reconnect schedule (`sonorancad/core/apiws.js`): at once, then 2, 10 and 30 s. */
export const FIRST_PARTY_RECONNECT_DELAYS_MS = Object.freeze([0, 2000, 10000, 30000]);

/** The wait before reconnect attempt `n` (from 0): `delaysMs[n]`, the last delay again for every later attempt. */
export function reconnectDelay(n, { delaysMs = FIRST_PARTY_RECONNECT_DELAYS_MS } = {}) {
  if (!Array.isArray(delaysMs) || delaysMs.length === 0) return 0;
  return delaysMs[Math.min(n, delaysMs.length - 1)];
}

/**
 * The session's retry policy for SignalR's `withAutomaticReconnect`: `reconnectDelay` for
 * attempts below `maxAttempts`, then `null` (give up). `onAttempt({attempt, afterMs, reason})`
 * is told before each attempt.
 */
export function reconnectPolicy({ delaysMs = FIRST_PARTY_RECONNECT_DELAYS_MS, maxAttempts = Infinity } = {}, onAttempt = () => {}) {
  if (!Array.isArray(delaysMs) || !delaysMs.every((d) => Number.isFinite(d) && d >= 0)) {
    throw new WebsocketError('config', `reconnect.delaysMs: expected an array of non-negative numbers, got ${JSON.stringify(delaysMs)}`);
  }
  return {
    nextRetryDelayInMilliseconds({ previousRetryCount, retryReason }) {
      if (previousRetryCount >= maxAttempts) return null;
      const afterMs = reconnectDelay(previousRetryCount, { delaysMs });
      onAttempt({ attempt: previousRetryCount, afterMs, reason: retryReason ?? null });
      return afterMs;
    },
  };
}

/** `{key, type, data}` (or that as a JSON string) to `{type, data}`; a key not the session's is a forged event. */
function decodePayload(payload, apiKey) {
  let value = payload;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (e) {
      throw new WebsocketError('event', `pushEvent's argument is a string that is not JSON (${e.message})`);
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new WebsocketError('event', "pushEvent's argument is not a {key, type, data} object");
  }
  if (value.key !== undefined && value.key !== null && !sameKey(value.key, apiKey)) {
    throw new WebsocketError('event', "pushEvent's `key` is not this session's API key (a forged event?)");
  }
  if (typeof value.type !== 'string' || value.type.trim() === '') {
    throw new WebsocketError('event', "pushEvent's `type` is missing or not a string");
  }
  // The same typed, lenient decoding as the HTTP receiver (`sonoran-cad/events`).
  try {
    return decodePushEvent(value.type, value.data === undefined ? null : value.data);
  } catch (e) {
    throw new WebsocketError('event', e.message, { cause: e });
  }
}

function unitKey(u) {
  for (const name of ['identId', 'apiId', 'communityUserId', 'roblox']) {
    const v = u[name];
    if ((typeof v === 'string' && v !== '') || (typeof v === 'number' && Number.isFinite(v))) return `${name}:${v}`;
  }
  return null;
}

class UnitLocations {
  #session;
  #latest = new Map();
  #inFlight = false;
  #waiters = [];
  #stats = { messages: 0, units: 0, superseded: 0, failures: 0, lastError: null };

  constructor(session) {
    this.#session = session;
  }

  /** Records `update` (`{identId | apiId | communityUserId | roblox, location, coordinates?, peerId?, vehicle?}`) as its unit's latest; never waits. */
  update(update) {
    if (update === null || typeof update !== 'object') {
      throw new WebsocketError('config', 'unitLocations.update: expected a unit location object');
    }
    const key = unitKey(update);
    if (key === null || typeof update.location !== 'string') {
      throw new WebsocketError('config', 'unitLocations.update: each update needs identId, apiId, communityUserId or roblox, and a string `location`');
    }
    if (this.#latest.has(key)) this.#stats.superseded += 1;
    this.#latest.set(key, update); // an existing unit keeps its place in the queue
    this.#session._wake();
  }

  /** Units whose latest update has not been sent yet. */
  get pending() {
    return this.#latest.size;
  }

  /** `{messages, units, superseded, failures, lastError}`. */
  stats() {
    return { ...this.#stats };
  }

  /** Resolves when every update given so far has been accepted by the hub. */
  flushed() {
    if (this.#latest.size === 0 && !this.#inFlight) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  _settle() {
    if (this.#latest.size === 0 && !this.#inFlight) {
      for (const w of this.#waiters.splice(0)) w();
    }
  }

  /** One batch: send, wait for the answer; `true` when something was sent. */
  async _flushOnce(invoke) {
    if (this.#latest.size === 0) return false;
    const batch = [];
    for (const [key, u] of this.#latest) {
      if (batch.length === MAX_UNITS_PER_MESSAGE) break;
      batch.push([key, u]);
    }
    for (const [key] of batch) this.#latest.delete(key);
    this.#inFlight = true;
    let error = null;
    try {
      const reply = await invoke('unitLocation', batch.map(([, u]) => u));
      if (!reply || reply.success !== true) error = (reply && reply.error) || 'unitLocation was refused without a reason';
    } catch (e) {
      error = e.message;
    }
    if (error === null) {
      this.#stats.messages += 1;
      this.#stats.units += batch.length;
    } else {
      this.#stats.failures += 1;
      this.#stats.lastError = error;
      // Put back what a newer update has not replaced, ahead of the rest.
      const rest = [...this.#latest];
      this.#latest.clear();
      for (const [key, u] of batch) this.#latest.set(key, u);
      for (const [key, u] of rest) this.#latest.set(key, u);
    }
    this.#inFlight = false;
    this._settle();
    return true;
  }
}

/** Edits (insert, delete, substitute) from `a` to `b`, giving up past `max`. */
function distance(a, b, max) {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const next = [i];
    for (let j = 1; j <= b.length; j += 1) {
      next.push(Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    row = next;
  }
  return row[b.length];
}

/** Why `type` is not something `on()` takes, with the nearest documented name when one is close. */
function unknownType(type) {
  if (typeof type !== 'string') return `on(${String(type)}): the event type must be a string`;
  const wanted = type.toUpperCase();
  const near = DOCUMENTED_TYPES.map((t) => [distance(wanted, t, 3), t]).filter(([d]) => d <= 3).sort((x, y) => x[0] - y[0])[0];
  return `on(${JSON.stringify(type)}): not a documented event type${near ? ` (did you mean ${JSON.stringify(near[1])}?)` : ''}; `
    + `'*' receives every event, undocumented types included, and the session's own are ${SESSION_EVENTS.filter((t) => t !== '*').map((t) => `'${t}'`).join(', ')}`;
}

/**
 * An authenticated websocket session. Create with `connectWebsocket(...)`.
 * `on(type, handler)`: `type` a documented event type (`'EVENT_UNIT_STATUS'`; any other name
 * is refused), `'*'` for every event (undocumented types too), `'error'` for payloads that
 * fail to decode, events dropped from a full queue and the reason a session ended, and the
 * connection's lifecycle: `'connected'` (authenticated: at once for a handler added to a
 * connected session, then after every reconnect; `{reconnect}`), `'disconnected'` (the error,
 * or null), `'reconnecting'` before each attempt (`{attempt, afterMs, reason}`),
 * `'reconnected'` (authenticated again), `'closed'`.
 */
class WebsocketSession {
  #connection;
  #options;
  #handlers = new Map();
  #queue = [];
  #readers = [];
  #iterators = 0;
  #dropped = 0;
  #overflowing = false;
  #connections = 0;
  #ended = null;
  #authenticated = false;
  #closed = false;
  #timer = null;
  #flushing = false;
  unitLocations;

  constructor(connection, options) {
    this.#connection = connection;
    this.#options = options;
    this.unitLocations = new UnitLocations(this);
    connection.on('pushEvent', (payload) => this.#onPayload(payload));
    // SignalR asks the retry policy for attempt 0 before it calls `onreconnecting`: the
    // policy's callback (`_attempt`) reports `disconnected` first, then each attempt.
    connection.onreconnecting(() => {
      this.#authenticated = false;
    });
    connection.onreconnected(() => this.#reauthenticate());
    connection.onclose((error) => {
      this.#authenticated = false;
      if (!this.#closed) {
        this.#end(new WebsocketError('connect', `the websocket connection closed and was not re-established${error ? ` (${error.message})` : ''}`));
      }
      this.#emit('closed', error ?? null);
    });
  }

  /** Told by the retry policy before each reconnect attempt. */
  _attempt(attempt) {
    this.#authenticated = false;
    if (attempt.attempt === 0) this.#emit('disconnected', attempt.reason);
    this.#emit('reconnecting', attempt);
  }

  /** `'connected'` (and authenticated), `'reconnecting'` or `'closed'`. */
  get state() {
    if (this.#closed || this.#ended) return 'closed';
    return this.#authenticated ? 'connected' : 'reconnecting';
  }

  /** The server whose push events this session receives (`null`: none). */
  get serverId() {
    return this.#options.serverId;
  }

  /** Events dropped from a full `for await` queue since the session started. */
  get droppedEvents() {
    return this.#dropped;
  }

  async _authenticate() {
    const { communityId, apiKey, serverId } = this.#options;
    const args = serverId === null ? [communityId, apiKey] : [communityId, apiKey, serverId];
    const reply = await this.#connection.invoke('authenticatev2', ...args);
    if (!reply || reply.success !== true) {
      throw new WebsocketError('auth', `authenticatev2 refused: ${(reply && reply.error) || 'no reason given'}`);
    }
    this.#authenticated = true;
    this.#connections += 1;
    this._wake();
  }

  async #reauthenticate() {
    try {
      await this._authenticate();
      this.#emit('connected', { reconnect: true });
      this.#emit('reconnected', null);
    } catch (e) {
      const error = e instanceof WebsocketError ? e : new WebsocketError('auth', `authenticatev2 after a reconnect failed: ${e.message}`, { cause: e });
      this.#end(error);
      await this.#connection.stop().catch(() => {});
    }
  }

  #onPayload(payload) {
    let event;
    try {
      event = decodePayload(payload, this.#options.apiKey);
    } catch (e) {
      this.#emit('error', e);
      return;
    }
    this.#emit(event.type, event);
    this.#emit('*', event);
    const reader = this.#readers.shift();
    if (reader) reader.resolve({ value: event, done: false });
    else if (this.#iterators > 0) this.#enqueue(event);
  }

  /** Keeps `event` for a busy reader; past the bound the oldest goes (and `'error'` hears of it once per overflow). */
  #enqueue(event) {
    this.#queue.push(event);
    if (this.#queue.length <= this.#options.maxQueuedEvents) return;
    this.#queue.shift();
    this.#dropped += 1;
    if (!this.#overflowing) {
      this.#overflowing = true;
      this.#emit('error', new WebsocketError('overflow', `more than ${this.#options.maxQueuedEvents} events waited for the \`for await\` reader: the oldest are dropped until it catches up (session.droppedEvents counts them)`));
    }
  }

  #emit(type, value) {
    for (const handler of this.#handlers.get(type) ?? []) {
      try {
        handler(value);
      } catch (e) {
        queueMicrotask(() => { throw e; });
      }
    }
  }

  #end(error) {
    if (this.#ended) return;
    this.#ended = error;
    clearTimeout(this.#timer);
    this.#emit('error', error);
    for (const reader of this.#readers.splice(0)) reader.reject(error);
  }

  /**
   * Adds a handler; returns a function that removes it. A type that is neither documented nor
   * one of `SESSION_EVENTS` throws a `WebsocketError` (`config`). A `'connected'` handler added
   * while the session is connected is told at once (in a microtask), so that one handler loads
   * the state first and again after every reconnect.
   */
  on(type, handler) {
    if (!DOCUMENTED.has(type) && !SESSION_EVENTS.includes(type)) throw new WebsocketError('config', unknownType(type));
    if (typeof handler !== 'function') throw new WebsocketError('config', `on(${JSON.stringify(type)}): the handler is not a function`);
    if (!this.#handlers.has(type)) this.#handlers.set(type, new Set());
    const handlers = this.#handlers.get(type);
    handlers.add(handler);
    if (type === 'connected' && this.state === 'connected') {
      const reconnect = this.#connections > 1;
      queueMicrotask(() => {
        if (handlers.has(handler) && this.state === 'connected') handler({ reconnect });
      });
    }
    return () => handlers.delete(handler);
  }

  /**
   * Events as they come; ends when the session closes, throws the reason when it failed.
   * Events are kept only while an iterator is open (from its creation until `for await`
   * ends), at most `maxQueuedEvents` of them.
   */
  [Symbol.asyncIterator]() {
    let open = true;
    this.#iterators += 1;
    const finish = () => {
      if (!open) return;
      open = false;
      this.#iterators -= 1;
      if (this.#iterators === 0) {
        this.#queue.length = 0;
        this.#overflowing = false;
      }
    };
    return {
      next: () => {
        if (!open) return Promise.resolve({ value: undefined, done: true });
        if (this.#queue.length) {
          const value = this.#queue.shift();
          if (this.#queue.length === 0) this.#overflowing = false;
          return Promise.resolve({ value, done: false });
        }
        if (this.#ended && !this.#closed) {
          finish();
          return Promise.reject(this.#ended);
        }
        if (this.#closed) {
          finish();
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => this.#readers.push({ resolve, reject }));
      },
      return: () => {
        finish();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() { return this; },
    };
  }

  /** Calls a hub method and returns its completion (`{success, error, count}` for `unitLocation`). */
  async invoke(method, ...args) {
    try {
      return await this.#connection.invoke(method, ...args);
    } catch (e) {
      throw new WebsocketError('invocation', `${method} failed: ${e.message}`, { cause: e });
    }
  }

  _wake() {
    if (this.#flushing || this.#closed || this.#ended || !this.#authenticated) return;
    if (this.unitLocations.pending === 0) return;
    this.#flushing = true;
    this.unitLocations
      ._flushOnce((method, batch) => this.#connection.invoke(method, batch))
      .then((sent) => {
        this.#timer = setTimeout(() => {
          this.#flushing = false;
          this._wake();
        }, sent ? UNIT_INTERVAL_MS : 0);
      });
  }

  /** Sends a close message and ends the session; iterators finish, `flushed()` waiters are not kept. */
  async close() {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#queue.length = 0;
    for (const reader of this.#readers.splice(0)) reader.resolve({ value: undefined, done: true });
    await this.#connection.stop();
  }

  async [Symbol.asyncDispose]() {
    await this.close();
  }
}

/** A SignalR logger for `logger`: a level, a logger object, or `null` for none. */
function signalRLogger(logger) {
  if (logger === null || logger === undefined || logger === false) return LogLevel.None;
  if (typeof logger === 'string') {
    const level = { trace: LogLevel.Trace, debug: LogLevel.Debug, information: LogLevel.Information, info: LogLevel.Information, warning: LogLevel.Warning, warn: LogLevel.Warning, error: LogLevel.Error, critical: LogLevel.Critical, none: LogLevel.None }[logger.toLowerCase()];
    if (level === undefined) throw new WebsocketError('config', `logger: expected a SignalR log level, a logger with log(level, message), or null, got ${JSON.stringify(logger)}`);
    return level;
  }
  if (typeof logger === 'number' || (typeof logger === 'object' && typeof logger.log === 'function')) return logger;
  throw new WebsocketError('config', 'logger: expected a SignalR log level, a logger with log(level, message), or null');
}

/**
 * Connects to `/apiWsHub` (negotiate, then WebSockets, as SignalR and Sonoran's own clients
 * do; `skipNegotiation: true` for the websocket alone), authenticates with `authenticatev2`
 * and returns the session. Rejects with a `WebsocketError`: `auth` for
 * a wrong community id or key (not retried), `connect` when the hub cannot be reached.
 *
 * Options: `communityId`, `apiKey` (required), `serverId` (the server whose push events this
 * session receives; default 1, as the REST client's; `null` for none), `baseUrl` (default
 * `https://api.sonorancad.com`; the hub's URL works too), `skipNegotiation` (default false),
 * `reconnect` (`{delaysMs: [0, 2000, 10000, 30000], maxAttempts: Infinity}`: attempt n waits
 * `delaysMs[n]`, the last one repeating), `maxQueuedEvents` (default 1000: what `for await`
 * keeps for a busy reader), `logger` (SignalR's own logging: a level such as `'warning'` or
 * `LogLevel.Warning`, or a logger; default none, as the session reports what matters through
 * `on('error')` and its lifecycle events).
 */
export async function connectWebsocket(options = {}) {
  const {
    communityId,
    apiKey,
    serverId = DEFAULT_SERVER_ID,
    baseUrl = PRODUCTION_URL,
    skipNegotiation = false,
    reconnect = {},
    maxQueuedEvents = DEFAULT_MAX_QUEUED_EVENTS,
    logger = null,
  } = options;
  if (typeof apiKey !== 'string' || apiKey.trim() === '') throw new WebsocketError('config', 'apiKey: required (a non-empty string)');
  if (typeof communityId !== 'string' || communityId.trim() === '') throw new WebsocketError('config', 'communityId: required (a non-empty string)');
  if (serverId !== null && !(Number.isInteger(serverId) && serverId > 0)) {
    throw new WebsocketError('config', `serverId: expected a positive integer (default ${DEFAULT_SERVER_ID}) or null, got ${JSON.stringify(serverId)}`);
  }
  if (!Number.isSafeInteger(maxQueuedEvents) || maxQueuedEvents < 0) {
    throw new WebsocketError('config', `maxQueuedEvents: expected a non-negative integer, got ${JSON.stringify(maxQueuedEvents)}`);
  }
  if (typeof skipNegotiation !== 'boolean') throw new WebsocketError('config', `skipNegotiation: expected a boolean, got ${JSON.stringify(skipNegotiation)}`);
  const url = hubUrl(baseUrl);
  const logging = signalRLogger(logger);
  let session = null;
  const policy = reconnectPolicy(reconnect, (attempt) => session?._attempt(attempt));
  const connection = new HubConnectionBuilder()
    .withUrl(url, { transport: HttpTransportType.WebSockets, skipNegotiation, logMessageContent: false })
    .withAutomaticReconnect(policy)
    .configureLogging(logging)
    .build();
  session = new WebsocketSession(connection, { communityId, apiKey, serverId, maxQueuedEvents });
  try {
    await connection.start();
  } catch (e) {
    throw new WebsocketError('connect', `cannot connect to ${url}: ${e.message}`, { cause: e });
  }
  try {
    await session._authenticate();
  } catch (e) {
    await connection.stop().catch(() => {});
    throw e instanceof WebsocketError ? e : new WebsocketError('auth', `authenticatev2 failed: ${e.message}`, { cause: e });
  }
  return session;
}
