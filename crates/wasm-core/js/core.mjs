// The JS side of every package (sonoran-cad, sonoran-cms), shared by every entry point:
// `SonoranError`, the transport (the platform's `fetch`, or the caller's own), and the client
// class (`SonoranClient`, `SonoranCms`), whose methods are defined from the module's operation
// table: one per row, no code per operation; each method returns an `APIPromise` and takes the
// per-call options. `cargo xtask wasm` bundles it (esbuild) into each package's entries
// (index.cjs, browser.mjs). It names no API: `makeClient` is told its names.

const FIELDS = ['status', 'code', 'title', 'detail', 'traceId', 'requestId', 'body', 'operation', 'attempts', 'source', 'docsUrl'];
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
// As the Rust `Error::is_retryable`: a refusal by the client's pacing may pass later too.
const RETRYABLE_KINDS = new Set(['rateLimited', 'pacingRefused', 'timeout', 'transport']);

/**
 * A failed call: a bad argument, a timeout, a transport failure, a rate limit, an API error.
 * `kind` names the category, as the Rust crates' `ErrorKind::as_str` names it (one vocabulary:
 * `pacingRefused` for this client's own pacing refusal, `rateLimited` for Sonoran's 429,
 * `planRefused` and `permissionDenied` for the documented refusals); `operation`, `attempts`,
 * `requestId` and `docsUrl` say which call, how far it got and where its docs are; `source`
 * says who decided: `'server'` when the API answered, `'client'` when this client did.
 */
export class SonoranError extends Error {
  constructor(message, fields = {}) {
    super(message, fields.cause !== undefined ? { cause: fields.cause } : undefined);
    this.name = 'SonoranError';
    this.kind = fields.kind ?? 'internal';
    for (const key of FIELDS) {
      if (fields[key] !== undefined) this[key] = fields[key];
    }
    // Seconds to wait, as the API (or, for `source: 'client'`, the client's pacing) said.
    const wait = fields.retryAfterSeconds ?? fields.retryAfter;
    if (typeof wait === 'number') this.retryAfterSeconds = wait;
  }

  /** The API answered 404 (or a v1 "not found" error). */
  isNotFound() {
    return this.status === 404 || (typeof this.code === 'string' && /NotFound$/.test(this.code));
  }

  /** Trying the same call again later may succeed: a rate limit, a timeout, a transport failure, a 502/503/504. */
  isRetryable() {
    if (RETRYABLE_KINDS.has(this.kind)) return true;
    return this.status !== undefined && RETRYABLE_STATUS.has(this.status);
  }

  /** Seconds to wait before trying again (the server's `Retry-After`, or the client's pacing), if known. */
  retryAfter() {
    return this.retryAfterSeconds;
  }
}

function toSonoranError(e) {
  if (e instanceof SonoranError) return e;
  if (e && e.name === 'SonoranError') return new SonoranError(e.message, e);
  // Anything else (a wasm trap, an engine error) still surfaces as a SonoranError.
  const message = e && e.message ? e.message : String(e);
  return new SonoranError(`internal error in the client: ${message}`, { kind: 'internal', cause: e });
}

// JSON.stringify silently drops functions and symbols and throws on BigInt: name them instead.
function findUnsendable(value, path, seen) {
  const type = typeof value;
  if (type === 'function' || type === 'symbol' || type === 'bigint') return { path, type };
  if (value === null || type !== 'object') return null;
  if (seen.has(value)) return { path, type: 'cycle' };
  seen.add(value);
  for (const [key, inner] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    const found = findUnsendable(inner, at, seen);
    if (found) return found;
  }
  seen.delete(value);
  return null;
}

function unsendable(method, value, where) {
  const found = findUnsendable(value, where, new Set());
  if (!found) return null;
  const what = found.type === 'cycle' ? 'refers to itself (a cycle)' : `is a ${found.type}, which cannot be sent as JSON`;
  const at = found.path ? `\`${found.path}\`` : 'the argument';
  return new SonoranError(`${method}: ${at} ${what}`, { kind: 'invalidRequest' });
}

function encode(method, value, where) {
  if (value === undefined) return 'null';
  // Arguments are plain data: the fast path is one JSON.stringify, checked for what it drops.
  const bad = unsendable(method, value, where);
  if (bad) throw bad;
  return JSON.stringify(value);
}

/**
 * A `Retry-After` value for the module: seconds as sent, an HTTP date turned into the
 * seconds from now (the module reads numbers only), anything else as it came.
 */
function seconds(value) {
  if (value == null) return undefined;
  const v = value.trim();
  if (v === '' || !Number.isNaN(Number(v))) return v;
  const when = Date.parse(v);
  return Number.isNaN(when) ? v : String(Math.max(0, (when - Date.now()) / 1000));
}

/** The error of a call `name` stopped by the caller's `signal`. */
function abortedError(name, signal) {
  return new SonoranError(`${name}: aborted by the caller's signal`, { kind: 'aborted', cause: signal.reason });
}

/** The error of a call `name` past its per-call deadline of `deadlineMs`. */
function pastDeadline(name, deadlineMs) {
  return new SonoranError(`${name}: no reply within the call's deadline (\`timeoutMs\` ${deadlineMs} ms)`, { kind: 'timeout', source: 'client' });
}

/** Tells the client's `onRateLimit` hook, if any, about a wait of the call `name`; a failing hook does not fail the call. */
function tell(onRateLimit, name, info) {
  if (onRateLimit) {
    try {
      onRateLimit({ operation: name, ...info });
    } catch {
      // A failing hook must not fail the call.
    }
  }
}

// The longest a JS timer waits: past it, a timer fires at once (after 1 ms).
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Waits `ms` (in steps of at most MAX_TIMER_MS), or rejects (the call `name` aborted) as soon
 * as the caller's `signal` aborts.
 */
function pause(ms, signal, name) {
  return new Promise((resolve, reject) => {
    let timer;
    const wait = (left) => {
      timer = setTimeout(() => {
        if (left > MAX_TIMER_MS) return wait(left - MAX_TIMER_MS);
        if (signal) signal.removeEventListener('abort', stop);
        resolve();
      }, Math.min(left, MAX_TIMER_MS));
    };
    function stop() {
      clearTimeout(timer);
      reject(abortedError(name, signal));
    }
    wait(ms);
    if (signal) signal.addEventListener('abort', stop, { once: true });
  });
}
const TOO_LARGE = Symbol('reply too large');
/** The `code` of the error a transport's `text(limit)` rejects with past `limit` bytes (transport.mjs). */
export const REPLY_TOO_LARGE = 'SONORAN_REPLY_TOO_LARGE';

// Platform error codes that mean no connection was made: nothing was sent.
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** Why an attempt got no reply, for the runtime's retry rules: 1 no connection, 2 timeout, 3 broken. */
function failureKind(error, timedOut) {
  if (timedOut) return 2;
  const cause = error && error.cause !== undefined ? error.cause : error;
  const code = cause && cause.code;
  return NOT_CONNECTED.has(code) ? 1 : 3;
}

// At most this many attempts share one controller (see `SharedTimeout`): Node's fetch (the
// `fetch` option) adds an abort listener to the signal of each request and drops it only when
// the request is garbage collected, so a signal shared without bound would gather listeners.
// (node:http, the package's own Node transport, drops its listener when the request ends.)
const SHARED_ATTEMPTS = 16;

/**
 * The client's own timeout (`timeoutMs`) for the attempts that have nothing else to bound them
 * (no caller's signal, no nearer per-call deadline), really cancelling, at a fraction of the
 * cost of a controller and a timer each. Attempts started within `slack` ms of one another (at
 * most SHARED_ATTEMPTS of them) share one `AbortController` and one timer, which fires
 * `timeoutMs + slack` ms after the first of them started: each attempt still in flight then
 * has had at least its `timeoutMs` and at most `slack` more (1% of it, at most 1 s). In Node a
 * controller and a timer per request, and the handling of a `signal` on every request (the
 * more so in Node's `fetch`), cost more CPU than the rest of the client's own work. The timer
 * does not keep a Node process alive: a request in flight does that itself.
 */
class SharedTimeout {
  constructor(timeoutMs) {
    this.timeoutMs = timeoutMs;
    this.slack = Math.min(1000, Math.floor(timeoutMs / 100));
    this.group = null;
  }

  /** The group an attempt starting at `now` joins: its `controller` aborts at its timeout. */
  join(now) {
    let group = this.group;
    if (group === null || group.joined === SHARED_ATTEMPTS || now - group.opened > this.slack) {
      if (group !== null && group.pending === 0) clearTimeout(group.timer);
      const controller = new AbortController();
      group = { controller, timer: undefined, opened: now, joined: 0, pending: 0 };
      const opened = group;
      // Only a group with an attempt still in flight is aborted: a finished request's signal stays as it was.
      group.timer = setTimeout(() => {
        if (this.group === opened) this.group = null;
        if (opened.pending > 0) controller.abort();
      }, this.timeoutMs + this.slack);
      if (typeof group.timer === 'object' && typeof group.timer.unref === 'function') group.timer.unref();
      this.group = group;
    }
    group.joined++;
    group.pending++;
    return group;
  }

  /** An attempt of `group` is over; a closed group's timer goes once none is left. */
  leave(group) {
    group.pending--;
    if (group.pending === 0 && group !== this.group) clearTimeout(group.timer);
  }
}

/** The header set `kind` of a module client, built once and kept on the JS side. */
function headerSet(r, sets, kind, userAgent) {
  let headers = sets[kind];
  if (headers === undefined) {
    headers = {};
    const lines = r.headerLines(kind).split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) headers[lines[i]] = lines[i + 1];
    if (userAgent && headers['user-agent'] === undefined) headers['user-agent'] = userAgent;
    sets[kind] = Object.freeze(headers);
  }
  return headers;
}

/**
 * Runs one call. The module checks the arguments and builds the request, paces it and
 * decides on retries and errors (the shared runtime's own rules, `sonoran-runtime`); this loop only
 * awaits what the module asks for: `fetch` and timers. `state` counts the attempts and keeps
 * the last request id, for the error or the response.
 *
 * Bounds: the call's deadline (`deadlineMs`, the per-call `timeoutMs`) covers everything (pacing
 * waits, attempts, waits the server asks for); `maxQueueMs` bounds the waits (pacing, and when
 * set explicitly also the retries' waits); a wait past either fails at once.
 */
async function run(r, fetchImpl, local, userAgent, index, first, second, count, limits, state) {
  const { name, signal, onRateLimit, deadlineMs } = limits;
  if (signal && signal.aborted) throw abortedError(name, signal);
  // "<header set>\n<method>\n<url>[\n<body>]": JSON text has no raw line breaks.
  const plan = r.prepare(index, first, second, count);
  const m = plan.indexOf('\n', 2);
  const u = plan.indexOf('\n', m + 1);
  const method = plan.slice(2, m);
  const url = u < 0 ? plan.slice(m + 1) : plan.slice(m + 1, u);
  const set = headerSet(r, local.sets, plan.charCodeAt(0) - 48, userAgent);
  const init = { headers: limits.headers ? { ...set, ...limits.headers } : set };
  // GET is fetch's default: naming it costs a method check per call in Node's fetch.
  if (method !== 'GET') init.method = method;
  if (u >= 0) init.body = plan.slice(u + 1);
  // The client's settings, read from the module once.
  if (local.timeoutMs === undefined) {
    local.timeoutMs = r.timeoutMs;
    local.cap = r.maxReplyBytes;
    local.shared = local.timeoutMs > 0 ? new SharedTimeout(local.timeoutMs) : null;
  }
  const timeoutMs = local.timeoutMs;
  const cap = local.cap;
  // By default the client's timeout bounds the queueing for a place under the rate limit;
  // a `maxQueueMs` that was given bounds every wait, the retries' too.
  const explicitBound = limits.maxQueueMs !== undefined;
  const bound = limits.maxQueueMs ?? (timeoutMs > 0 ? timeoutMs : Infinity);
  const started = Date.now();
  const deadline = deadlineMs !== undefined ? started + deadlineMs : Infinity;
  // `queued`: the waits for a place under the rate limit; `waited`: every wait, retries' too.
  let queued = 0;
  let waited = 0;
  for (let attempt = 0; ; attempt++) {
    let ticket;
    for (;;) {
      ticket = r.pace(index);
      if (ticket >= -1) break;
      const wait = -ticket - 2;
      const left = deadline - Date.now();
      if ((explicitBound ? waited : queued) + wait > bound || wait > left) {
        tell(onRateLimit, name, { reason: 'refused', waitMs: wait });
        const why = wait > left ? `its deadline (\`timeoutMs\` ${deadlineMs} ms, ${Math.max(0, left)} ms left)` : `its \`maxQueueMs\` (${bound} ms)`;
        // The client's own decision, not the API's: nothing was sent.
        throw new SonoranError(
          `${name}: not sent: this client's pacing under the operation's rate limit would hold the call ${wait} ms, past ${why}`,
          { kind: 'pacingRefused', source: 'client', retryAfter: wait / 1000 },
        );
      }
      tell(onRateLimit, name, { reason: 'paced', waitMs: wait });
      await pause(wait, signal, name);
      queued += wait;
      waited += wait;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      if (ticket >= 0) r.release(index, ticket);
      throw pastDeadline(name, deadlineMs);
    }
    // This attempt's own limit: the client's timeout, or what is left of the deadline.
    const limit = Math.min(timeoutMs > 0 ? timeoutMs : Infinity, left);
    let timer;
    let controller;
    let onAbort;
    let group;
    let attemptSignal;
    if (limit === timeoutMs && !signal) {
      // The common case: the client's own timeout alone, on a controller shared.
      group = local.shared.join(Date.now());
      attemptSignal = group.controller.signal;
    } else if (limit !== Infinity || signal) {
      controller = new AbortController();
      attemptSignal = controller.signal;
      if (limit !== Infinity) timer = setTimeout(() => controller.abort(), limit);
      if (signal) {
        onAbort = () => controller.abort();
        signal.addEventListener('abort', onAbort, { once: true });
      }
    }
    if (attemptSignal !== undefined) init.signal = attemptSignal;
    let status = 0;
    let res;
    let text;
    let failed;
    let tooLarge = false;
    state.attempts = attempt + 1;
    try {
      res = await fetchImpl(url, init);
      state.requestId = res.headers.get('x-request-id') ?? undefined;
      // A body announced longer than the cap is not read at all; one without a length is
      // checked once read (fetch gives no cheaper way to stop it part way; the package's Node
      // transport stops at the cap itself).
      const length = Number(res.headers.get('content-length'));
      if (length > cap) throw TOO_LARGE;
      // `cap`: the Node transport stops reading there; `fetch`'s `text()` takes no argument.
      text = await res.text(cap);
      if (text.length > cap) throw TOO_LARGE;
      status = res.status;
    } catch (error) {
      // The package's Node transport stops reading past `cap` itself (transport.mjs).
      if (error === TOO_LARGE || (error && error.code === REPLY_TOO_LARGE)) tooLarge = true;
      failed = error;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (group !== undefined) local.shared.leave(group);
      if (onAbort) signal.removeEventListener('abort', onAbort);
      if (ticket >= 0) r.release(index, ticket);
    }
    if (signal && signal.aborted) throw abortedError(name, signal);
    if (tooLarge) {
      // The body left unread is dropped; a shared controller is not this call's to abort.
      if (controller) controller.abort();
      else if (res && res.body && typeof res.body.cancel === 'function') res.body.cancel().catch(() => {});
      throw r.tooLarge(index);
    }
    const timedOut = attemptSignal !== undefined && attemptSignal.aborted;
    if (timedOut && Date.now() >= deadline) throw pastDeadline(name, deadlineMs);
    const retryAfter = status === 429 || status === 503 ? seconds(res.headers.get('retry-after')) : undefined;
    const failure = status === 0 ? failureKind(failed, timedOut) : 0;
    const wait = r.after(index, attempt, status, retryAfter, failure, Date.now() - started);
    // A wait past the deadline (or past an explicit `maxQueueMs`) is not waited: the call
    // fails at once with this attempt's outcome (the server's Retry-After included).
    if (wait >= 0 && wait <= deadline - Date.now() && !(explicitBound && waited + wait > bound)) {
      tell(onRateLimit, name, { reason: 'retry', waitMs: wait, status, attempt });
      await pause(wait, signal, name);
      waited += wait;
      continue;
    }
    if (wait >= 0) tell(onRateLimit, name, { reason: 'refused', waitMs: wait, status, attempt });
    if (status === 0) {
      // fetch wraps the platform's reason (ECONNREFUSED, ...) as its cause.
      const cause = failed && failed.cause !== undefined ? failed.cause : failed;
      const e = r.noReply(index, failure, cause && cause.message ? cause.message : String(cause));
      e.cause = cause;
      throw e;
    }
    if (!r.ok(index, status)) throw r.failure(index, status, retryAfter, text);
    return { status, text, contentType: res.headers.get('content-type'), headers: res.headers };
  }
}

const JSON_TYPE = /[/+]json\b/i;

// The envelope's `meta` of each payload an enveloped call resolved to (reply kind 3).
const META = new WeakMap();

/**
 * The `meta` of the reply envelope `payload` came in (`{ timestamp, path }` on CMS v2), for a
 * payload that is an object or an array; `undefined` otherwise.
 */
export function metaOf(payload) {
  return payload !== null && typeof payload === 'object' ? META.get(payload) : undefined;
}

function unwrap(r, index, name, reply, parsed) {
  const enveloped = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
  if (enveloped && parsed.success === false) {
    // The API said no on a success status: the runtime's `ApiError::unsuccessful` (kind `api`,
    // or the kind the docs give its message), as the Rust client's `Error::Api`.
    throw r.unsuccessful(index, reply.status, reply.text);
  }
  if (!enveloped || parsed.success !== true || !('data' in parsed)) {
    throw new SonoranError(`${name}: the Sonoran API answered ${reply.status} without the \`{ success, data }\` envelope its docs describe`, {
      kind: 'malformedReply',
      status: reply.status,
      body: reply.text.length > 2048 ? `${reply.text.slice(0, 2048)}…` : reply.text,
    });
  }
  const data = parsed.data;
  if (data !== null && typeof data === 'object' && parsed.meta !== undefined) META.set(data, parsed.meta);
  return data;
}

function decode(r, index, name, kind, reply) {
  const text = reply.text;
  if (kind === 1) return text;
  // A documented "No Content" (CMS's DELETE /v2/community/sessions): nothing to parse.
  if (reply.status === 204 && text === '') return undefined;
  const jsonType = reply.contentType != null && JSON_TYPE.test(reply.contentType);
  if (kind === 2 && !jsonType) {
    const c = text.trimStart()[0];
    if (c !== '{' && c !== '[') return text;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SonoranError(`${name}: the Sonoran API answered ${reply.status} with a body this client cannot read: expected JSON: ${e.message}`, {
      kind: 'malformedReply',
      status: reply.status,
      body: text.length > 2048 ? `${text.slice(0, 2048)}…` : text,
    });
  }
  return kind === 3 ? unwrap(r, index, name, reply, parsed) : parsed;
}

function checkQueueBound(where, ms) {
  if (ms !== undefined && !(typeof ms === 'number' && ms >= 0)) {
    throw new SonoranError(`${where}: \`maxQueueMs\` must be a number of milliseconds >= 0`, { kind: 'invalidRequest' });
  }
}

const CALL_OPTIONS = ['signal', 'timeoutMs', 'headers', 'maxQueueMs'];
// An HTTP token (RFC 9110).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The per-call options `{ signal, timeoutMs, headers, maxQueueMs }`. */
const NO_OPTIONS = Object.freeze({});
// As the module's bound on the client's `timeoutMs` (wasm-core's MAX_TIMEOUT_MS).
const MAX_TIMEOUT_MS = 2_000_000_000;

function callOptions(name, given) {
  if (given === undefined || given === null) return NO_OPTIONS;
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new SonoranError(`${name}: the per-call options must be an object { ${CALL_OPTIONS.join(', ')} }`, { kind: 'invalidRequest' });
  }
  for (const key of Object.keys(given)) {
    if (!CALL_OPTIONS.includes(key)) {
      throw new SonoranError(`${name}: \`${key}\` is not a per-call option (${CALL_OPTIONS.join(', ')})`, { kind: 'invalidRequest' });
    }
  }
  const { signal, timeoutMs, headers, maxQueueMs } = given;
  if (signal !== undefined && !(signal && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function')) {
    throw new SonoranError(`${name}: \`signal\` must be an AbortSignal`, { kind: 'invalidRequest' });
  }
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0 && timeoutMs !== Infinity)) {
    throw new SonoranError(`${name}: the per-call \`timeoutMs\` must be a number of milliseconds > 0`, { kind: 'invalidRequest' });
  }
  if (timeoutMs > MAX_TIMEOUT_MS) {
    // A JS timer holds at most 2^31 - 1 ms: a longer one would fire at once.
    throw new SonoranError(`${name}: the per-call \`timeoutMs\` must be at most ${MAX_TIMEOUT_MS} ms (about 23 days), got ${timeoutMs}`, { kind: 'invalidRequest' });
  }
  let extra;
  if (headers !== undefined) {
    if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
      throw new SonoranError(`${name}: the per-call \`headers\` must be an object of header names to strings`, { kind: 'invalidRequest' });
    }
    extra = {};
    for (const [key, value] of Object.entries(headers)) {
      if (typeof value !== 'string') {
        throw new SonoranError(`${name}: the per-call header \`${key}\` must be a string, got ${value === null ? 'null' : typeof value}`, { kind: 'invalidRequest' });
      }
      if (!HEADER_NAME.test(key) || /[\r\n\0]/.test(value)) {
        throw new SonoranError(`${name}: the per-call header ${JSON.stringify(key)} is not a valid header name and value`, { kind: 'invalidRequest' });
      }
      extra[key.toLowerCase()] = value;
    }
  }
  checkQueueBound(name, maxQueueMs);
  return { signal, timeoutMs, headers: extra, maxQueueMs };
}

/**
 * The "exactly one of" groups of an operation (`x-exactly-one-of`: `[where, ...fields]`, where
 * is `args` for the argument object, `body` for its body or a v1 call's data), checked as the
 * Rust client's enums enforce them.
 */
function checkGroups(name, groups, args) {
  for (const [where, ...fields] of groups) {
    // A v1 call's data is a list of items: each one is checked.
    const v1 = Array.isArray(args);
    const holders = where !== 'body' ? [[args, 'the arguments']] : v1 ? (Array.isArray(args[0]) ? args[0].map((item, i) => [item, `\`data[${i}]\``]) : [[args[0], '`data`']]) : [[args && args.body, '`body`']];
    for (const [holder, at] of holders) {
      const given = holder !== null && typeof holder === 'object' ? fields.filter((f) => holder[f] !== undefined && holder[f] !== null) : [];
      if (given.length !== 1) {
        const got = given.length === 0 ? 'none' : given.map((f) => `\`${f}\``).join(' and ');
        throw new SonoranError(`${name}: ${at} must have exactly one of ${fields.map((f) => `\`${f}\``).join(', ')}; got ${got}`, { kind: 'invalidRequest' });
      }
    }
  }
}

/**
 * What every method returns: a Promise of the result that also offers `.withResponse()`, a
 * Promise of `{ data, response: { status, headers, requestId, attempts } }`.
 */
export class APIPromise extends Promise {
  #inner;
  #data;
  constructor(inner) {
    super((resolve) => resolve(undefined));
    this.#inner = inner;
  }

  // `then` and friends return plain Promises.
  static get [Symbol.species]() {
    return Promise;
  }

  #parsed() {
    if (this.#data === undefined) this.#data = this.#inner.then((r) => r.data);
    return this.#data;
  }

  /** The result together with what the reply said besides it. */
  withResponse() {
    return this.#inner;
  }

  then(onFulfilled, onRejected) {
    return this.#parsed().then(onFulfilled, onRejected);
  }

  catch(onRejected) {
    return this.#parsed().catch(onRejected);
  }

  finally(onFinally) {
    return this.#parsed().finally(onFinally);
  }
}

/** `e` as a SonoranError naming the call, its docs page, its attempts and the last request id. */
function described(e, name, state, module) {
  const err = toSonoranError(e);
  if (err.operation === undefined) err.operation = name;
  if (err.docsUrl === undefined && module) err.docsUrl = module.docsUrl(name);
  if (err.attempts === undefined) err.attempts = state.attempts ?? 0;
  if (err.requestId === undefined && state.requestId !== undefined) err.requestId = state.requestId;
  if (err.source === undefined && err.status !== undefined) err.source = 'server';
  return err;
}

/** The value at `path` (a list of property names) of `value`, or `undefined`. */
function at(value, path) {
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = value[key];
  }
  return value;
}

/**
 * Every item of every page of the paginated operation `name` (its row of `pages`, from the
 * docs: crates/codegen/src/pages.rs), fetched a page at a time as the loop asks, each page
 * through the client's method (paced, retried, with the per-call options). Ends at an empty
 * page, a page shorter than the page size asked for (or documented), the reply's `total`, or
 * (cursor pages) a reply without a next cursor; a reply pointing back to a page already asked
 * for, or repeating another offset than the one asked for, rejects with kind `malformedReply`.
 * A v1 call's page fields sit in its `data` (`page.data`): in each request object of the
 * array (`'array'`, the size and first offset read from the first), or in the one object.
 */
async function* iterate(client, pages, name, args, perCall) {
  const page = Object.prototype.hasOwnProperty.call(pages, name) ? pages[name] : undefined;
  if (page === undefined) {
    const known = Object.keys(pages).join(', ');
    throw new SonoranError(`iterate: \`${name}\` is not a paginated operation (${known})`, { kind: 'invalidRequest', operation: String(name), attempts: 0 });
  }
  const invalid = (why) => new SonoranError(`${name}: ${why}`, { kind: 'invalidRequest', operation: name, attempts: 0 });
  if (page.data === 'array') {
    if (!Array.isArray(args)) throw invalid('`data` must be an array of request objects');
    if (args.length === 0) throw invalid('pagination: `data` holds no request object to set the page\'s position in');
    if (args.some((item) => item === null || typeof item !== 'object' || Array.isArray(item))) {
      throw invalid('every item of `data` must be an object');
    }
  } else if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) {
    throw invalid(page.data === 'object' ? '`data` must be an object' : 'the arguments must be an object');
  }
  const base = page.data === 'array' ? args[0] : (args ?? {});
  const malformed = (why) => new SonoranError(`${name}: pagination: ${why}`, { kind: 'malformedReply', operation: name, source: 'server' });
  const param = page.cursor ?? page.offset;
  let position = base[param] ?? (page.cursor !== undefined ? page.start : 0);
  const size = base[page.size] ?? page.defaultSize ?? undefined;
  const asked = new Set();
  for (;;) {
    asked.add(position);
    const request = page.data === 'array' ? args.map((item) => ({ ...item, [param]: position })) : { ...base, [param]: position };
    const payload = await client[name](request, perCall);
    const items = page.items === null ? payload : at(payload, [page.items]) ?? [];
    if (!Array.isArray(items)) throw malformed(`the page's \`${page.items ?? 'reply'}\` is not a list`);
    if (page.echo !== undefined && items.length > 0) {
      const echoed = at(payload, page.echo);
      if (typeof echoed === 'number' && echoed !== position) {
        throw malformed(`asked for the page at offset ${position}, the reply is the page at offset ${echoed}; stopping rather than asking for pages again`);
      }
    }
    yield* items;
    if (items.length === 0) return;
    let next;
    if (page.cursor !== undefined) {
      next = at(payload, [page.next]);
      if (next === undefined || next === null) return;
    } else {
      next = position + items.length;
      const total = page.total !== undefined ? at(payload, page.total) : undefined;
      if (typeof total === 'number' && next >= total) return;
      if (typeof size === 'number' && items.length < size) return;
    }
    if (asked.has(next)) {
      throw malformed(`the reply points to ${page.cursor !== undefined ? 'cursor' : 'offset'} ${next}, a page already asked for; stopping rather than asking for it again`);
    }
    position = next;
  }
}

const RAW = Symbol('module client');
const DISPOSE = typeof Symbol.dispose === 'symbol' ? Symbol.dispose : Symbol.for('nodejs.dispose');

/**
 * The public client class, named `className` (`SonoranClient`, `SonoranCms`), over a module's
 * `Client`. `load()` returns the module once it is ready, or `null` while it is still loading
 * (a browser); then construction waits for the first call.
 */
export function makeClient(className, operations, load, ready, userAgent, pages = {}, transport = null) {
  const NEW = `new ${className}`;
  const FETCH = Symbol('fetch');
  const LOCAL = Symbol('client state');
  const HOOKS = Symbol('hooks');
  function raw(client, name) {
    const r = client[RAW];
    if (r === null) throw new SonoranError(`${name}: this client was disposed`, { kind: 'invalidRequest' });
    if (r !== undefined) return r;
    const m = load();
    const made = new m.Client(client.optionsJson);
    Object.defineProperty(client, RAW, { value: made, writable: true });
    return made;
  }

  class SonoranClient {
    constructor(options) {
      if (options === null || typeof options !== 'object' || Array.isArray(options)) {
        throw new SonoranError(`${NEW}: expected an options object, e.g. { apiKey, communityId }`, { kind: 'invalidRequest' });
      }
      const { fetch: fetchImpl, onRateLimit, maxQueueMs, ...rest } = options;
      if (fetchImpl !== undefined && typeof fetchImpl !== 'function') {
        throw new SonoranError(`${NEW}: the \`fetch\` option must be a function`, { kind: 'invalidRequest' });
      }
      if (onRateLimit !== undefined && typeof onRateLimit !== 'function') {
        throw new SonoranError(`${NEW}: the \`onRateLimit\` option must be a function`, { kind: 'invalidRequest' });
      }
      checkQueueBound(NEW, maxQueueMs);
      // The entry's own transport (Node: transport.mjs) unless the global `fetch` was
      // replaced since the package loaded (a test's mock); browsers: the global `fetch`.
      const f = fetchImpl ?? (transport !== null && globalThis.fetch === transport.globalAtLoad ? transport.fetch : globalThis.fetch);
      if (typeof f !== 'function') {
        throw new SonoranError(`${NEW}: no global fetch here: pass the \`fetch\` option`, { kind: 'invalidRequest' });
      }
      Object.defineProperty(this, 'optionsJson', { value: encode(NEW, rest, '') });
      Object.defineProperty(this, FETCH, { value: f.bind(globalThis) });
      // The header sets, the module's settings once read, the shared timeout.
      Object.defineProperty(this, LOCAL, { value: { sets: [], timeoutMs: undefined, cap: undefined, shared: null } });
      Object.defineProperty(this, HOOKS, { value: { onRateLimit, maxQueueMs } });
      if (load() !== null) {
        try {
          raw(this, NEW);
        } catch (e) {
          throw toSonoranError(e);
        }
      }
    }

    get serverId() {
      return raw(this, 'serverId').serverId;
    }

    get baseUrl() {
      return raw(this, 'baseUrl').baseUrl;
    }

    [DISPOSE]() {
      const r = this[RAW];
      if (r) r.free();
      Object.defineProperty(this, RAW, { value: null, writable: true });
    }
  }

  operations.forEach(([name, v1, reply, arity, groups], index) => {
    const call = async function (args, perCall) {
      // Each piece is stringified apart, so that the module sends a body as written.
      let first;
      let second;
      let count = 0;
      let call;
      try {
        call = callOptions(name, perCall);
        if (groups) checkGroups(name, groups, args);
        if (v1) {
          while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
          count = args.length;
          first = encode(name, args[0], 'data');
          second = args.length > 1 ? encode(name, args[1], 'options') : undefined;
        } else if (args !== null && typeof args === 'object' && !Array.isArray(args) && args.body !== undefined) {
          const { body, ...rest } = args;
          first = encode(name, rest, '');
          second = encode(name, body, 'body');
        } else {
          first = encode(name, args, '');
        }
      } catch (e) {
        throw described(e, name, {}, load());
      }
      if (call.signal && call.signal.aborted) {
        throw described(abortedError(name, call.signal), name, {}, load());
      }
      if (ready) await ready;
      const state = { attempts: 0, requestId: undefined };
      try {
        const r = raw(this, name);
        const hooks = this[HOOKS];
        const limits = {
          name,
          signal: call.signal,
          deadlineMs: call.timeoutMs,
          headers: call.headers,
          maxQueueMs: call.maxQueueMs ?? hooks.maxQueueMs,
          onRateLimit: hooks.onRateLimit,
        };
        const sent = await run(r, this[FETCH], this[LOCAL], userAgent, index, first, second, count, limits, state);
        const data = decode(r, index, name, reply, sent);
        const response = { status: sent.status, headers: sent.headers, requestId: state.requestId, attempts: state.attempts };
        return { data, response };
      } catch (e) {
        throw described(e, name, state, load());
      }
    };
    Object.defineProperty(SonoranClient.prototype, name, {
      // The argument after the call's own ones, when given, is the per-call options.
      value: v1
        ? function (...args) {
            if (args.length > arity + 1) {
              const takes = `${arity} argument${arity === 1 ? '' : 's'}`;
              const e = new SonoranError(`${name}: takes ${takes} and the per-call options, got ${args.length} arguments`, { kind: 'invalidRequest' });
              return new APIPromise(Promise.reject(described(e, name, {}, load())));
            }
            const perCall = args.length > arity ? args.splice(arity)[0] : undefined;
            return new APIPromise(call.call(this, args, perCall));
          }
        : function (args, perCall) {
            return new APIPromise(call.call(this, args, perCall));
          },
      writable: true,
      configurable: true,
    });
  });

  Object.defineProperty(SonoranClient.prototype, 'iterate', {
    value: function (name, args, perCall) {
      return iterate(this, pages, name, args, perCall);
    },
    writable: true,
    configurable: true,
  });

  Object.defineProperty(SonoranClient, 'name', { value: className });
  return SonoranClient;
}
