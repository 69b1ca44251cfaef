// Push events for Node (the package entry `@package@/events`, apart from the REST client):
// `decodePushEvent` types one event's `data` leniently, as the Rust crate does (the same
// `x-lenient` rules, from the generated schema table), and `createPushHandler` is the HTTP
// fallback receiver for `http.createServer` and Express. `cargo xtask wasm` bundles it with
// the generated schemas into the CommonJS events.cjs (events.mjs re-exports that). A template: the `@...@` names are the package's.

import { timingSafeEqual } from 'node:crypto';
import { EVENTS } from './generated/events.mjs';
import * as self from './events.mjs';

/** A refused push event: `kind` says why, `eventType` and `path` where (never the key). */
export class PushEventError extends Error {
  constructor(message, fields = {}) {
    super(message);
    this.name = 'PushEventError';
    /** 'invalidEvent' | 'notAnEvent' | 'notJson' | 'wrongKey' | 'tooLarge' | 'invalidArgument' */
    this.kind = fields.kind ?? 'invalidEvent';
    if (fields.eventType !== undefined) this.eventType = fields.eventType;
    if (fields.path !== undefined) this.path = fields.path;
  }
}

/** Every documented type string, sorted. */
export const DOCUMENTED_TYPES = Object.freeze(Object.keys(EVENTS).sort());

/** The path Sonoran posts events to. */
export const EVENT_PATH = '@push_path@';
/** The default cap on a request body. */
export const DEFAULT_MAX_BODY_BYTES = 1 << 20;

const NUMERIC = /^-?[0-9]+(\.[0-9]+)?$/;

function kindOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return `a ${typeof v}`;
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The `x-lenient` normalisation of `node` applied to `v` (the grammar is Rust's). */
function lenient(node, v) {
  switch (node.l) {
    case 'one-element-array':
      return Array.isArray(v) && v.length === 1 && isPlainObject(v[0]) ? v[0] : v;
    case 'single-as-list':
      return !Array.isArray(v) && v !== null && v !== undefined ? [v] : v;
    case 'numeric-string':
      if (typeof v === 'string' && NUMERIC.test(v)) {
        const n = Number(v);
        if (Number.isFinite(n)) return n;
      }
      return v;
    default:
      return v;
  }
}

class Mismatch {
  constructor(path, message) {
    this.path = path;
    this.message = message;
  }
}

/** `v` checked against `node` and normalised (a new value; the input is not changed). */
function check(node, v, path) {
  v = lenient(node, v);
  if (node.o) {
    for (const option of node.o) {
      try {
        return check(option, v, path);
      } catch (e) {
        if (!(e instanceof Mismatch)) throw e;
      }
    }
    throw new Mismatch(path, `found ${kindOf(v)}, which matches none of the documented forms`);
  }
  const expected = (what) => new Mismatch(path, `expected ${what}, found ${kindOf(v)}`);
  switch (node.t) {
    case 'object': {
      if (!isPlainObject(v)) throw expected('an object');
      // Fields the docs do not list are kept as sent: a newer server loses nothing here.
      const out = { ...v };
      for (const [key, inner] of Object.entries(node.p)) {
        const value = Object.hasOwn(v, key) ? v[key] : undefined;
        if (value === undefined || value === null) {
          if (node.r && node.r.includes(key)) {
            throw value === null
              ? new Mismatch(`${path}.${key}`, 'expected a value, found null')
              : new Mismatch(path, `missing field \`${key}\``);
          }
          continue;
        }
        out[key] = check(inner, value, `${path}.${key}`);
      }
      return out;
    }
    case 'map':
      if (!isPlainObject(v)) throw expected('an object');
      return v;
    case 'array':
      if (!Array.isArray(v)) throw expected('an array');
      return v.map((item, i) => check(node.i, item, `${path}[${i}]`));
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw expected('an integer');
      return v;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw expected('a number');
      return v;
    case 'string':
      if (typeof v !== 'string') throw expected('a string');
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw expected('a boolean');
      return v;
    default:
      return v;
  }
}

/**
 * Decodes one event's `type` and `data`: `{ type, data }` with `data` checked and normalised
 * where the docs disagree with themselves (object or one-element array, a single id or a
 * list, number or numeric string). A type the docs do not list is `{ type, data, unknown:
 * true }` with `data` as sent. Throws a `PushEventError` naming the field when a documented
 * type's `data` does not have the documented shape.
 */
export function decodePushEvent(type, data) {
  if (typeof type !== 'string') {
    throw new PushEventError(`decodePushEvent: \`type\` must be a string, not ${kindOf(type)}`, {
      kind: 'invalidArgument',
    });
  }
  const schema = Object.hasOwn(EVENTS, type) ? EVENTS[type] : undefined;
  if (!schema) return { type, data, unknown: true };
  try {
    return { type, data: check(schema, data, 'data') };
  } catch (e) {
    if (!(e instanceof Mismatch)) throw e;
    throw new PushEventError(`push event ${type}: ${e.path}: ${e.message}`, {
      kind: 'invalidEvent',
      eventType: type,
      path: e.path,
    });
  }
}

/** Whether `sent` is `expected`, in time that depends on the lengths only. */
function keyMatches(expected, sent) {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(sent, 'utf8');
  // Compare equal lengths always (timingSafeEqual requires it), then the lengths.
  const same = timingSafeEqual(a, b.length === a.length ? b : a);
  return same && b.length === a.length;
}

/**
 * Checks and decodes one push-event body `{key, type, data}` as Sonoran sends it (a string,
 * a Buffer, or already-parsed JSON): the key first, in constant time. Throws a
 * `PushEventError` (kind `notJson`, `notAnEvent`, `wrongKey` or `invalidEvent`).
 */
export function receivePushEvent(body, apiKey) {
  if (typeof apiKey !== 'string' || apiKey.trim() === '') {
    throw new PushEventError('receivePushEvent: `apiKey` must be a non-empty string', { kind: 'invalidArgument' });
  }
  let envelope = body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
    try {
      envelope = JSON.parse(text);
    } catch (e) {
      throw new PushEventError(`the push-event body is not JSON: ${e.message}`, { kind: 'notJson' });
    }
  }
  if (!isPlainObject(envelope)) {
    throw new PushEventError('not a push event: the body is not a JSON object', { kind: 'notAnEvent' });
  }
  if (typeof envelope.key !== 'string') {
    throw new PushEventError('not a push event: `key` is missing or not a string', { kind: 'notAnEvent' });
  }
  if (!keyMatches(apiKey, envelope.key)) {
    throw new PushEventError("the push event's `key` is not the community's API key", { kind: 'wrongKey' });
  }
  if (typeof envelope.type !== 'string') {
    throw new PushEventError('not a push event: `type` is missing or not a string', { kind: 'notAnEvent' });
  }
  return decodePushEvent(envelope.type, envelope.data === undefined ? null : envelope.data);
}

const STATUS = { notJson: 400, notAnEvent: 400, invalidEvent: 400, wrongKey: 401, tooLarge: 413 };

function reply(res, status, text, headers = {}) {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${text}\n`);
}

/** The request body, read up to `max` bytes (a `tooLarge` PushEventError past it). */
function readBody(req, max) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      reject(new PushEventError(`the request body is over ${max} bytes`, { kind: 'tooLarge' }));
      return;
    }
    const chunks = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        reject(new PushEventError(`the request body is over ${max} bytes`, { kind: 'tooLarge' }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', (e) => {
      if (!done) {
        done = true;
        reject(new PushEventError(`the request body could not be read: ${e.message}`, { kind: 'notAnEvent' }));
      }
    });
  });
}

/**
 * The HTTP fallback receiver: `(req, res, next?) => Promise<void>` for `http.createServer`
 * or Express (`app.post('@push_path@', handler)`; a body Express already parsed is
 * used as it is). Answers 200 for an accepted event (after `onEvent` has run, awaited),
 * 401 for a wrong key, 400 for a body that is not an event, 413 over `maxBodyBytes`,
 * 405 for a method other than POST, and 404 (or `next()` under Express) for another path.
 * `onError(error, event)` hears of every event it refuses (a `PushEventError`, `event`
 * undefined: a body that is no event or does not match the docs, a wrong key, too large)
 * and of `onEvent` throwing (with the event).
 */
export function createPushHandler(options) {
  const { apiKey, onEvent, onError, maxBodyBytes = DEFAULT_MAX_BODY_BYTES, path = EVENT_PATH } = options ?? {};
  if (typeof apiKey !== 'string' || apiKey.trim() === '') {
    throw new PushEventError('createPushHandler: `apiKey` must be a non-empty string', { kind: 'invalidArgument' });
  }
  if (typeof onEvent !== 'function') {
    throw new PushEventError('createPushHandler: `onEvent` must be a function', { kind: 'invalidArgument' });
  }
  if (onError !== undefined && typeof onError !== 'function') {
    throw new PushEventError('createPushHandler: `onError` must be a function', { kind: 'invalidArgument' });
  }
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new PushEventError('createPushHandler: `maxBodyBytes` must be a positive integer', { kind: 'invalidArgument' });
  }
  if (path !== null && typeof path !== 'string') {
    throw new PushEventError('createPushHandler: `path` must be a string or null', { kind: 'invalidArgument' });
  }
  // `onError` throwing must not turn an answered request into an unhandled rejection.
  const report = (error, event) => {
    if (!onError) return;
    try {
      onError(error, event);
    } catch (thrown) {
      console.error('@package@ push handler: onError threw:', thrown);
    }
  };
  return async function sonoranPushHandler(req, res, next) {
    const url = String(req.originalUrl ?? req.url ?? '').split('?')[0];
    if (path !== null && url !== path) {
      if (typeof next === 'function') return next();
      return reply(res, 404, 'not found');
    }
    if (req.method !== 'POST') return reply(res, 405, 'push events are POSTed', { allow: 'POST' });
    let event;
    try {
      // A body an Express parser already read (express.json(), express.text(), express.raw()).
      const parsed = req.readableEnded && req.body !== undefined;
      const body = parsed ? req.body : await readBody(req, maxBodyBytes);
      event = receivePushEvent(body, apiKey);
    } catch (e) {
      if (!(e instanceof PushEventError)) throw e;
      const status = STATUS[e.kind] ?? 400;
      // Over the cap: answer, then stop reading what is left.
      if (status === 413) {
        reply(res, 413, e.message, { connection: 'close' });
        req.resume?.();
      } else {
        reply(res, status, status === 401 ? 'unauthorized: wrong key' : e.message);
      }
      // A refused event is told to `onError` (without an event), after the answer.
      report(e, undefined);
      return;
    }
    try {
      await onEvent(event);
    } catch (e) {
      reply(res, 500, 'the event handler failed');
      if (onError) report(e, event);
      else console.error(`@package@ push handler: onEvent threw for ${event.type}:`, e);
      return;
    }
    reply(res, 200, 'ok');
  };
}

// esbuild marks the CommonJS exports as an ES module's (`__esModule`): a default import
// through TypeScript's or Babel's interop (`import x from '@package@/events'` in CommonJS)
// reads `.default`, which is then the entry itself, as the types say.
export default self;
