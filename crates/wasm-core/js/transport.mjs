// Node's transport: the `fetch` the client uses in Node when the caller passes none, on
// node:http and node:https with keep-alive agents (the process's own, see `agentFor`). Node's own `fetch` (undici) costs about
// twice the CPU of node:http per request, and more again with a `signal` (BENCHMARKS.md,
// section 2): the client's calls are mostly that cost. This function does what the client asks
// of a `fetch` and no more: one request (method, headers, string body, signal), its reply's
// status, headers (`get`, `has`, iteration) and text. It follows no redirect (a 3xx is the
// reply), sends no `Accept-Encoding` of its own (a reply that is compressed anyway, or because
// the caller asked, is decompressed), and stops reading a body past the size the client gives
// `text(limit)`. Not in the browser bundle: browsers use their `fetch`.
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { REPLY_TOO_LARGE } from './core.mjs';

// The process's own agents (http.globalAgent, https.globalAgent), read at each request, so
// that what a program sets there applies to the client too (a proxy agent, socket limits).
// Since Node 19 they keep connections alive (closing idle ones after
// 5 s, or sooner at the server's `Keep-Alive` hint) and idle sockets do not hold the process
// open. Node 18's default agent closes each connection after one request: in its place the
// client uses a keep-alive agent of its own, with the same settings.
let fallbacks = null;

function agentFor(secure) {
  const mod = secure ? https : http;
  const agent = mod.globalAgent;
  if (agent.keepAlive || agent.constructor !== mod.Agent) return agent;
  if (fallbacks === null) {
    const options = { keepAlive: true, timeout: 5000 };
    fallbacks = { http: new http.Agent(options), https: new https.Agent(options) };
  }
  return secure ? fallbacks.https : fallbacks.http;
}

/** A reply's headers, read as `fetch`'s `Headers` reads them (names case-insensitive; repeats joined by `, `). */
class ReplyHeaders {
  constructor(raw) {
    this.raw = raw;
  }

  get(name) {
    const value = this.raw[String(name).toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : String(value);
  }

  has(name) {
    return this.raw[String(name).toLowerCase()] !== undefined;
  }

  *entries() {
    for (const name of Object.keys(this.raw).sort()) yield [name, this.get(name)];
  }

  *keys() {
    for (const [name] of this.entries()) yield name;
  }

  *values() {
    for (const [, value] of this.entries()) yield value;
  }

  forEach(callback, thisArg) {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  [Symbol.iterator]() {
    return this.entries();
  }
}

function decoder(encoding) {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    default:
      return null;
  }
}

/** The reply, as much of `Response` as the client reads. */
class Reply {
  constructor(res) {
    this.res = res;
    // A connection lost before the body is asked for (or after it is dropped unread) must not
    // be an unhandled 'error' event: `text()` reports what happens while it reads.
    res.on('error', () => {});
    this.status = res.statusCode;
    this.headers = new ReplyHeaders(res.headers);
    this.read = null;
  }

  get ok() {
    return this.status >= 200 && this.status < 300;
  }

  get body() {
    const res = this.res;
    return {
      cancel() {
        res.destroy();
        return Promise.resolve();
      },
    };
  }

  /** The body as text (UTF-8, a leading BOM dropped); past `limit` bytes it stops reading and rejects. */
  text(limit = Infinity) {
    if (this.read === null) this.read = readBody(this.res, limit);
    return this.read;
  }

  async json() {
    return JSON.parse(await this.text());
  }
}

function readBody(res, limit) {
  return new Promise((resolve, reject) => {
    const encoding = res.headers['content-encoding'];
    const inflate = encoding === undefined ? null : decoder(String(encoding).trim().toLowerCase());
    const stream = inflate === null ? res : res.pipe(inflate);
    if (inflate !== null) res.on('error', (e) => inflate.destroy(e));
    const chunks = [];
    let size = 0;
    let done = false;
    const fail = (error) => {
      if (done) return;
      done = true;
      reject(error);
    };
    stream.on('data', (chunk) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        const error = new Error(`the reply's body is longer than ${limit} bytes`);
        error.code = REPLY_TOO_LARGE;
        fail(error);
        res.destroy();
        if (inflate !== null) inflate.destroy();
        return;
      }
      chunks.push(chunk);
    });
    // A connection that closes before the whole reply came (Node's code for a connection reset).
    const cutShort = () => Object.assign(new Error('the connection closed before the whole reply came'), { code: 'ECONNRESET' });
    stream.on('end', () => {
      if (done) return;
      if (!res.complete) {
        fail(cutShort());
        return;
      }
      done = true;
      const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
      resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    });
    stream.on('error', fail);
    res.on('close', () => {
      if (!res.complete) fail(cutShort());
    });
  });
}

/**
 * `fetch(url, { method, headers, body, signal })` on node:http / node:https: resolves with the
 * reply once its status and headers came; rejects with Node's own error (`code`
 * `ECONNREFUSED`, ...) when no reply came, or with an `AbortError` when `signal` aborted.
 */
export function nodeFetch(url, init = {}) {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    if (!secure && !url.startsWith('http:')) {
      reject(new TypeError(`unsupported URL scheme "${url.slice(0, url.indexOf(':') + 1)}" (http: and https: only)`));
      return;
    }
    const body = init.body;
    let headers = init.headers ?? {};
    if (body !== undefined && body !== null) {
      headers = { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    }
    const signal = init.signal;
    if (signal && signal.aborted) {
      reject(aborted(signal));
      return;
    }
    const options = { method: init.method ?? 'GET', headers, agent: agentFor(secure) };
    let req;
    try {
      req = (secure ? https : http).request(url, options, (res) => resolve(new Reply(res)));
    } catch (error) {
      // A header Node refuses (a line break in a value, ...), a malformed URL.
      reject(error);
      return;
    }
    req.on('error', reject);
    if (signal) {
      // The signal's own listener, dropped when the request is over (its reply read, or its
      // connection gone): Node's `signal` option does the same through a stream-end watcher
      // that costs about 15 µs of CPU a request (BENCHMARKS.md, section 9). Aborting destroys
      // the request, and with it a reply being read.
      const onAbort = () => req.destroy(aborted(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      req.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    if (body !== undefined && body !== null) req.end(body);
    else req.end();
  });
}

/** What an aborted request rejects with, as Node's `fetch` and `http.request` name it. */
function aborted(signal) {
  const error = new Error('This operation was aborted', signal.reason !== undefined ? { cause: signal.reason } : undefined);
  error.name = 'AbortError';
  error.code = 'ABORT_ERR';
  return error;
}
