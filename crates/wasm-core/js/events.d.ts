// The push-event entry of every package (`sonoran-cad/events`, `sonoran-cms/events`):
// hand-written; the API's documented events and their payloads are generated into
// `event-types.d.ts` beside it. `cargo xtask wasm` ships this file as `events.d.cts` and
// `events.d.mts`.
import type { KnownPushEvent } from './event-types.js';

export * from './event-types.js';

/**
 * An event of a type the docs do not list, with its `data` as sent. `data` is typed `never`
 * so that a check of `event.type` against a documented type narrows `event.data` to that
 * type's payload; read it as `unknown` (`const raw: unknown = event.data`) after checking
 * `event.unknown`.
 */
export interface UnknownPushEvent {
  type: string;
  data: never;
  unknown: true;
}

/** Every push event: `event.type` narrows `event.data`; `event.unknown` marks an undocumented type. */
export type PushEvent = KnownPushEvent | UnknownPushEvent;

/** Every documented type string. */
export type PushEventType = KnownPushEvent['type'];

/** Why an event was refused (never with the key in it). */
export declare class PushEventError extends Error {
  name: 'PushEventError';
  kind: 'invalidEvent' | 'notAnEvent' | 'notJson' | 'wrongKey' | 'tooLarge' | 'invalidArgument';
  /** The event's type string, for an `invalidEvent`. */
  eventType?: string;
  /** Where in the event, e.g. `data.unit.status`, for an `invalidEvent`. */
  path?: string;
}

/** Every documented type string, sorted. */
export declare const DOCUMENTED_TYPES: readonly PushEventType[];
/** The path the API posts events to (`/sonorancad/event` for CAD, `/sonorancms/events` for CMS). */
export declare const EVENT_PATH: string;
/** The default cap on a request body (1 MiB). */
export declare const DEFAULT_MAX_BODY_BYTES: number;

/**
 * Decodes one event's `type` and `data`, leniently where the docs disagree with themselves.
 * Throws a `PushEventError` naming the field when a documented type's `data` is malformed.
 */
export declare function decodePushEvent<T extends PushEventType>(type: T, data: unknown): Extract<KnownPushEvent, { type: T }>;
export declare function decodePushEvent(type: string, data: unknown): PushEvent;

/** Checks (the key first, in constant time) and decodes one `{key, type, data}` body. */
export declare function receivePushEvent(body: string | Uint8Array | object, apiKey: string): PushEvent;

export interface PushHandlerOptions {
  /** The community's API key: events carrying another key get 401. */
  apiKey: string;
  /** Called with every accepted event (awaited before the 200). */
  onEvent: (event: PushEvent) => void | Promise<void>;
  /**
   * Told of every event the handler refuses (`error` a `PushEventError`, `event` undefined:
   * 400, 401 or 413) and of `onEvent` throwing (the request gets 500; `event` the event). Without
   * it a throwing `onEvent` is logged and refusals are only answered.
   */
  onError?: (error: unknown, event: PushEvent | undefined) => void;
  /** The largest request body accepted (larger ones get 413); 1 MiB by default. */
  maxBodyBytes?: number;
  /** The only path answered (`EVENT_PATH` by default); `null` for any. */
  path?: string | null;
}

/** The smallest request shape the handler reads (Node's `IncomingMessage`, Express's `Request`). */
export interface PushRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  headers: { [name: string]: string | string[] | undefined };
  body?: unknown;
  readableEnded?: boolean;
  on(event: string, listener: (...args: any[]) => void): unknown;
  resume?(): unknown;
}

/** The smallest response shape the handler writes (Node's `ServerResponse`, Express's `Response`). */
export interface PushResponse {
  headersSent: boolean;
  writeHead(status: number, headers: { [name: string]: string }): unknown;
  end(text: string): unknown;
}

/** The HTTP fallback receiver, for `http.createServer(handler)` or `app.post(EVENT_PATH, handler)`. */
export declare function createPushHandler(
  options: PushHandlerOptions,
): (req: PushRequest, res: PushResponse, next?: () => void) => Promise<void>;
