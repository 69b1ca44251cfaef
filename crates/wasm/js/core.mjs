// The JS side of the package, shared by every entry point: the `SonoranError` class and the
// wrapper that makes every failure of the wasm client an instance of it.
// `cargo xtask wasm` also emits a CommonJS copy (core.cjs) of this file.

const FIELDS = ['status', 'code', 'title', 'detail', 'traceId', 'retryAfter', 'requestId', 'body'];

/** A failed call: a bad argument, a timeout, a transport failure, a rate limit, an API error. */
export class SonoranError extends Error {
  constructor(message, fields = {}) {
    super(message);
    this.name = 'SonoranError';
    this.kind = fields.kind ?? 'internal';
    for (const key of FIELDS) {
      if (fields[key] !== undefined) this[key] = fields[key];
    }
    if (fields.cause !== undefined) this.cause = fields.cause;
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
  if (value === null || type !== 'object' || seen.has(value)) return null;
  seen.add(value);
  for (const [key, inner] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    const found = findUnsendable(inner, at, seen);
    if (found) return found;
  }
  return null;
}

function checkArgs(method, args) {
  for (const [i, arg] of args.entries()) {
    const found = findUnsendable(arg, '', new Set());
    if (found) {
      const where = found.path ? `\`${found.path}\`` : `argument ${i + 1}`;
      throw new SonoranError(`${method}: ${where} is a ${found.type}, which cannot be sent as JSON`, { kind: 'invalidArgument' });
    }
  }
}

const RAW = Symbol('sonoran-cad raw client');

/** The public `SonoranClient` class around the wasm-bindgen one. */
export function wrapClient(Raw) {
  class SonoranClient {
    constructor(options) {
      try {
        Object.defineProperty(this, RAW, { value: new Raw(options) });
      } catch (e) {
        throw toSonoranError(e);
      }
    }
  }
  for (const name of Object.getOwnPropertyNames(Raw.prototype)) {
    if (name === 'constructor' || name.startsWith('__')) continue;
    const d = Object.getOwnPropertyDescriptor(Raw.prototype, name);
    if (d.get) {
      Object.defineProperty(SonoranClient.prototype, name, { get() { return this[RAW][name]; } });
    } else if (typeof d.value === 'function') {
      SonoranClient.prototype[name] = function (...args) {
        let result;
        try {
          checkArgs(name, args);
          result = d.value.apply(this[RAW], args);
        } catch (e) {
          return Promise.reject(toSonoranError(e));
        }
        return result instanceof Promise ? result.catch((e) => { throw toSonoranError(e); }) : result;
      };
    }
  }
  return SonoranClient;
}
