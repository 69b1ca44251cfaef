// The declarations every package shares (sonoran-cad, sonoran-cms): the error, the client
// options, the per-call options and the promise every method returns. Hand-written; each
// package's own surface (its client class, argument and result types) is generated into
// `types.d.ts` beside it. `cargo xtask wasm` ships this file as `core.d.cts` and `core.d.mts`.
/// <reference lib="esnext.disposable" />

/**
 * Why a call failed: the same names as the Rust crates' `ErrorKind` (`ErrorKind::as_str`).
 * - `invalidRequest`: refused before sending (a bad argument, a bad option, a disposed client)
 * - `pacingRefused`: not sent: this client's own pacing under the documented rate limit would
 *   hold the call past its deadline or `maxQueueMs` (`source: 'client'`, `retryAfter()`)
 * - `rateLimited`: Sonoran answered 429 and the wait it asked for does not fit
 * - `timeout`: the call's deadline passed
 * - `aborted`: the caller's `AbortSignal`
 * - `transport`: the connection failed
 * - `planRefused`: the community's subscription does not include the API or this call (the
 *   docs' `API IS NOT ENABLED FOR THIS COMMUNITY`, `API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY`)
 * - `permissionDenied`: Sonoran answered 403
 * - `api`: any other refusal by Sonoran (problem+json, a v1 error text, `success: false`)
 * - `malformedReply`: the reply is not what the docs describe
 * - `replyTooLarge`: the reply was longer than the client accepts
 * - `sharedLimiterUnavailable`: Rust only (the Redis-shared rate limiter); never in JS
 * - `internal`: a fault of the package itself; please report it
 */
export type SonoranErrorKind =
  | 'invalidRequest'
  | 'pacingRefused'
  | 'rateLimited'
  | 'timeout'
  | 'aborted'
  | 'transport'
  | 'planRefused'
  | 'permissionDenied'
  | 'api'
  | 'malformedReply'
  | 'replyTooLarge'
  | 'sharedLimiterUnavailable'
  | 'internal';

/** Every rejection of a client method is a `SonoranError`. */
export declare class SonoranError extends Error {
  constructor(
    message: string,
    fields?: Partial<Pick<SonoranError, 'kind' | 'status' | 'code' | 'title' | 'detail' | 'traceId' | 'requestId' | 'body' | 'operation' | 'attempts' | 'source' | 'docsUrl'>> & {
      cause?: unknown;
      /** Seconds to wait, as `retryAfter()` gives them. */
      retryAfter?: number;
    },
  );
  readonly name: 'SonoranError';
  readonly kind: SonoranErrorKind;
  /**
   * Who decided: `'server'` when the API answered (an error status, a 429), `'client'` when
   * this client refused a call it never sent (its pacing under the documented rate limit
   * would have held the call past its deadline or `maxQueueMs`) or gave up at the deadline.
   */
  readonly source?: 'client' | 'server';
  /** The method that failed (`getAccount`). */
  readonly operation?: string;
  /** The docs page of the method that failed. */
  readonly docsUrl?: string;
  /** How many requests were sent (0: none, e.g. a bad argument or a refusal by the client). */
  readonly attempts?: number;
  /** HTTP status, when the API answered. */
  readonly status?: number;
  /** The documented v1 error, e.g. `InvalidApiKey`. */
  readonly code?: string;
  /** problem+json `title`. */
  readonly title?: string;
  /** problem+json `detail`, or the v1 error text. */
  readonly detail?: string;
  /** problem+json `traceId`: quote it to Sonoran support. */
  readonly traceId?: string;
  /** The request id of the last reply (its `x-request-id` header, or the 429 body's `request_id`). */
  readonly requestId?: string;
  /** The error body as received. */
  readonly body?: string;
  /** For a transport failure: the platform's own error (e.g. with `code: 'ECONNREFUSED'`). */
  readonly cause?: unknown;
  /** The API answered 404 (or a v1 "not found" error). */
  isNotFound(): boolean;
  /** Trying again later may succeed: a rate limit (`rateLimited`, `pacingRefused`), a timeout, a transport failure, a 502, 503 or 504. */
  isRetryable(): boolean;
  /** Seconds to wait before trying again: the server's `Retry-After`, or (`source: 'client'`) the client's pacing. */
  retryAfter(): number | undefined;
}

/** The options every client takes (`new SonoranClient(...)`, `new SonoranCms(...)`). */
export interface ClientOptions {
  /** Your community id (v1 calls carry it in their envelope). */
  communityId?: string;
  /**
   * Your community API key (Admin > Advanced > API Integration). Never logged. Leave it out
   * only when `baseUrl` is your own backend that adds the credentials: a community API key
   * must never be shipped to a browser.
   */
  apiKey?: string;
  /** Where requests go (default: the API's production server). */
  baseUrl?: string;
  /**
   * Per-request timeout in milliseconds (default 30000, at most 2000000000; 0 waits forever): an attempt still
   * without its reply is cancelled after at least this long and at most 1% (at most 1 s) more,
   * as attempts started close together share one timer. Per call, `timeoutMs` bounds the whole call.
   */
  timeoutMs?: number;
  /** How often a 429 is retried (default 2). */
  retries?: number;
  /** "documented" (default): each operation paced to its documented limit; "off"; or custom limits per operationId. */
  rateLimit?: 'documented' | 'off' | { limits?: { [operationId: string]: number }; windowMs?: number };
  /** Extra headers sent with every request. */
  headers?: { [name: string]: string };
  /**
   * The longest a call may wait for its place under the documented rate limit before it
   * rejects at once with kind `pacingRefused`, `source: 'client'` and `retryAfter()` (default:
   * `timeoutMs`; 0: never queue). When given, it bounds the waits a server's `Retry-After`
   * asks for too. Per call: the `maxQueueMs` per-call option.
   */
  maxQueueMs?: number;
  /** Called when a call is held by the documented rate limit, retried after a wait, or refused for its bounds. */
  onRateLimit?: (event: RateLimitEvent) => void;
  /**
   * The `fetch` to use. Default: in browsers the global one; in Node the package's own
   * transport on node:http / node:https (the process's global agents, kept alive; no redirect
   * followed, no compression asked for; undici's global dispatcher is not used), or the global `fetch` if it was replaced after the package loaded (a test's mock).
   * `fetch: globalThis.fetch` asks for Node's `fetch`.
   */
  fetch?: (
    input: string,
    init: { method?: string; headers: { [name: string]: string }; body?: string; signal?: AbortSignal },
  ) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;
}

/** What `onRateLimit` is told. */
export interface RateLimitEvent {
  /** The operationId (the method's name). */
  operation: string;
  /** `paced`: held for the documented limit; `retry`: waiting before a retry; `refused`: the wait is past the call's deadline or queue bound. */
  reason: 'paced' | 'retry' | 'refused';
  waitMs: number;
  /** For `retry` (and a refused retry): the status that is retried (0: no reply) and the attempt that got it. */
  status?: number;
  attempt?: number;
}

/** Options of one call, passed after its arguments. */
export interface CallOptions {
  /**
   * Cancels the call: an aborted signal rejects at once with kind `aborted`, also while the
   * call waits for its place under the rate limit or for a retry; a request in flight is aborted.
   */
  signal?: AbortSignal;
  /**
   * The call's deadline in milliseconds: it bounds the whole call (the wait for its place, every
   * attempt, the waits the server asks for). A wait that would pass it fails at once: the
   * client's own pacing with kind `pacingRefused` and `source: 'client'`, a server's `Retry-After`
   * with the server's error; a reply still missing at the deadline with kind `timeout`. At most
   * 2000000000 (a JS timer holds no more).
   */
  timeoutMs?: number;
  /** Extra headers for this call (over the client's). */
  headers?: { [name: string]: string };
  /** Overrides the client's `maxQueueMs` for this call. */
  maxQueueMs?: number;
}

/** What the reply said besides the result. */
export interface ResponseInfo {
  /** The HTTP status of the reply. */
  status: number;
  /** The reply's headers. */
  headers: { get(name: string): string | null };
  /** The reply's `x-request-id` header, when it has one. */
  requestId: string | undefined;
  /** How many requests the call sent (retries included). */
  attempts: number;
}

/** The promise every method returns: the result, and `.withResponse()` for the reply's details. */
export interface APIPromise<T> extends Promise<T> {
  /** The result with the reply's status, headers, request id and attempts. */
  withResponse(): Promise<{ data: T; response: ResponseInfo }>;
}

/**
 * Exactly one of `T`'s properties: the docs' "provide exactly one of" rule as a type (the
 * client checks it at run time too, as the Rust client's enums do).
 */
export type ExactlyOne<T> = {
  [K in keyof T]: { [P in K]: T[P] } & { [P in Exclude<keyof T, K>]?: undefined };
}[keyof T];
