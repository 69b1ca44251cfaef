// The JS side of the package, shared by every entry point: `SonoranError`, the transport
// (the platform's `fetch`, or the caller's own), and the `SonoranClient` class, whose
// methods are defined from the module's operation table: one per row, no code per operation.
// `cargo xtask wasm` also emits a CommonJS copy (core.cjs) of this file.

const FIELDS = ['status', 'code', 'title', 'detail', 'traceId', 'retryAfter', 'requestId', 'body'];

/** A failed call: a bad argument, a timeout, a transport failure, a rate limit, an API error. */
export class SonoranError extends Error {
  constructor(message, fields = {}) {
    super(message, fields.cause !== undefined ? { cause: fields.cause } : undefined);
    this.name = 'SonoranError';
    this.kind = fields.kind ?? 'internal';
    for (const key of FIELDS) {
      if (fields[key] !== undefined) this[key] = fields[key];
    }
  }
}

function toSonoranError(e) {
  if (e instanceof SonoranError) return e;
  if (e && e.name === 'SonoranError') return new SonoranError(e.message, e);
  // Anything else (a wasm trap, an engine error) still surfaces as a SonoranError.
  const message = e && e.message ? e.message : String(e);
  return new SonoranError(`internal error in sonoran-cad: ${message}`, { kind: 'internal', cause: e });
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
  return new SonoranError(`${method}: ${at} ${what}`, { kind: 'invalidArgument' });
}

function encode(method, value, where) {
  // Arguments are plain data: the fast path is one JSON.stringify, checked for what it drops.
  const bad = unsendable(method, value, where);
  if (bad) throw bad;
  return value === undefined ? 'null' : JSON.stringify(value);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const TOO_LARGE = Symbol('reply too large');

// Platform error codes that mean no connection was made: nothing was sent.
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** Why an attempt got no reply, for the runtime's retry rules: 1 no connection, 2 timeout, 3 broken. */
function failureKind(error, timedOut) {
  if (timedOut) return 2;
  const cause = error && error.cause !== undefined ? error.cause : error;
  const code = cause && cause.code;
  return NOT_CONNECTED.has(code) ? 1 : 3;
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
 * decides on retries and errors (the `sonoran-cad` runtime's own rules); this loop only
 * awaits what the module asks for: `fetch` and timers.
 */
async function run(r, fetchImpl, sets, userAgent, index, first, second, count) {
  // "<header set>\n<method>\n<url>[\n<body>]": JSON text has no raw line breaks.
  const plan = r.prepare(index, first, second, count);
  const m = plan.indexOf('\n', 2);
  const u = plan.indexOf('\n', m + 1);
  const method = plan.slice(2, m);
  const url = u < 0 ? plan.slice(m + 1) : plan.slice(m + 1, u);
  const init = { headers: headerSet(r, sets, plan.charCodeAt(0) - 48, userAgent) };
  // GET is fetch's default: naming it costs a method check per call in Node's fetch.
  if (method !== 'GET') init.method = method;
  if (u >= 0) init.body = plan.slice(u + 1);
  const timeoutMs = r.timeoutMs;
  const cap = r.maxReplyBytes;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    let ticket;
    for (;;) {
      ticket = r.pace(index);
      if (ticket >= -1) break;
      await sleep(-ticket - 2);
    }
    let timer;
    let controller;
    if (timeoutMs > 0) {
      controller = new AbortController();
      init.signal = controller.signal;
      timer = setTimeout(() => controller.abort(), timeoutMs);
    }
    let status = 0;
    let res;
    let text;
    let failed;
    let tooLarge = false;
    try {
      res = await fetchImpl(url, init);
      // A body announced longer than the cap is not read at all; one without a length is
      // checked once read (fetch gives no cheaper way to stop it part way).
      const length = Number(res.headers.get('content-length'));
      if (length > cap) throw TOO_LARGE;
      text = await res.text();
      if (text.length > cap) throw TOO_LARGE;
      status = res.status;
    } catch (error) {
      if (error === TOO_LARGE) tooLarge = true;
      failed = error;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (ticket >= 0) r.release(index, ticket);
    }
    if (tooLarge) {
      if (controller) controller.abort();
      throw r.tooLarge(index);
    }
    const retryAfter = status === 429 || status === 503 ? (res.headers.get('retry-after') ?? undefined) : undefined;
    const timedOut = !!(controller && controller.signal.aborted);
    const failure = status === 0 ? failureKind(failed, timedOut) : 0;
    const wait = r.after(index, attempt, status, retryAfter, failure, Date.now() - started);
    if (wait >= 0) {
      await sleep(wait);
      continue;
    }
    if (status === 0) {
      // fetch wraps the platform's reason (ECONNREFUSED, ...) as its cause.
      const cause = failed && failed.cause !== undefined ? failed.cause : failed;
      const e = r.noReply(index, failure, cause && cause.message ? cause.message : String(cause));
      e.cause = cause;
      throw e;
    }
    if (!r.ok(index, status)) throw r.failure(index, status, retryAfter, text);
    return { status, text, contentType: res.headers.get('content-type') };
  }
}

const JSON_TYPE = /[/+]json\b/i;

function decode(name, kind, reply) {
  const text = reply.text;
  if (kind === 1) return text;
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
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SonoranError(`${name}: the Sonoran API answered ${reply.status} with a body this client cannot read: expected JSON: ${e.message}`, {
      kind: 'malformedReply',
      status: reply.status,
      body: text.length > 2048 ? `${text.slice(0, 2048)}…` : text,
    });
  }
}

const RAW = Symbol('sonoran-cad raw client');
const DISPOSE = typeof Symbol.dispose === 'symbol' ? Symbol.dispose : Symbol.for('nodejs.dispose');

/**
 * The public `SonoranClient` class over a module's `Client`. `load()` returns the module
 * once it is ready, or `null` while it is still loading (a browser); then construction
 * waits for the first call.
 */
export function makeClient(operations, load, ready, userAgent) {
  const FETCH = Symbol('fetch');
  const SETS = Symbol('header sets');
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
        throw new SonoranError('new SonoranClient: expected an options object, e.g. { apiKey, communityId }', { kind: 'invalidArgument' });
      }
      const { fetch: fetchImpl, ...rest } = options;
      if (fetchImpl !== undefined && typeof fetchImpl !== 'function') {
        throw new SonoranError('new SonoranClient: the `fetch` option must be a function', { kind: 'invalidArgument' });
      }
      const f = fetchImpl ?? globalThis.fetch;
      if (typeof f !== 'function') {
        throw new SonoranError('new SonoranClient: no global fetch here: pass the `fetch` option', { kind: 'invalidArgument' });
      }
      Object.defineProperty(this, 'optionsJson', { value: encode('new SonoranClient', rest, '') });
      Object.defineProperty(this, FETCH, { value: f.bind(globalThis) });
      Object.defineProperty(this, SETS, { value: [] });
      if (load() !== null) {
        try {
          raw(this, 'new SonoranClient');
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

  operations.forEach(([name, v1, reply], index) => {
    const call = async function (args) {
      // Each piece is stringified apart, so that the module sends a body as written.
      let first;
      let second;
      let count = 0;
      try {
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
        throw toSonoranError(e);
      }
      if (ready) await ready;
      let r;
      let sent;
      try {
        r = raw(this, name);
        sent = await run(r, this[FETCH], this[SETS], userAgent, index, first, second, count);
      } catch (e) {
        throw toSonoranError(e);
      }
      return decode(name, reply, sent);
    };
    Object.defineProperty(SonoranClient.prototype, name, {
      value: v1
        ? function (...args) {
            return call.call(this, args);
          }
        : function (args) {
            return call.call(this, args);
          },
      writable: true,
      configurable: true,
    });
  });

  return SonoranClient;
}
