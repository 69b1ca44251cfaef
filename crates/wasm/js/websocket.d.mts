// `sonoran-cad/websocket`: Sonoran CAD's websocket API (`/apiWsHub`) over @microsoft/signalr.

/** Documented: at most 25 unit update objects per `unitLocation` call. */
export declare const MAX_UNITS_PER_MESSAGE: 25;
/** Documented: one `unitLocation` every 250 ms. */
export declare const UNIT_INTERVAL_MS: 250;

/** The server whose push events a session receives unless told otherwise: 1, as the REST client's `serverId`. */
export declare const DEFAULT_SERVER_ID: 1;
/** How many events `for await` keeps for a busy reader unless `maxQueuedEvents` says otherwise. */
export declare const DEFAULT_MAX_QUEUED_EVENTS: number;
/** What `on(type)` takes besides a documented event type. */
export declare const SESSION_EVENTS: readonly ['*', 'error', 'connected', 'disconnected', 'reconnecting', 'reconnected', 'closed'];

/** Why a session failed: `kind`, as `SonoranError` and `PushEventError` name their category. */
export type WebsocketErrorKind = 'config' | 'connect' | 'auth' | 'event' | 'invocation' | 'closed' | 'overflow';

export declare class WebsocketError extends Error {
  readonly name: 'WebsocketError';
  readonly kind: WebsocketErrorKind;
  /** @deprecated Use `kind` (the same value). */
  readonly code: WebsocketErrorKind;
}

/** A push event, decoded as `sonoran-cad/events` decodes it: `event.type` narrows `event.data`. */
import type { PushEvent, KnownPushEvent, PushEventType } from './events.mjs';
export type { PushEvent, KnownPushEvent, PushEventType };

/** Each documented event type string to its event (`{ type, data }`, `data` the documented payload). */
export type PushEventMap = { [T in PushEventType]: Extract<KnownPushEvent, { type: T }> };

/** The documented `unitLocationObject`: one target, a location, optional coordinates. */
export type UnitLocation = (
  | { identId: number }
  | { apiId: string }
  | { communityUserId: string }
  | { roblox: number }
) & {
  location: string;
  coordinates?: { x: number; y: number; z: number; w: number };
  peerId?: string;
  vehicle?: {
    model?: string;
    zOffset?: number;
    lightZOffset?: number;
    sizeOffset?: number;
    headingOffset?: number;
    lights?: boolean;
  };
};

export interface UnitLocations {
  /** Records the unit's latest position; sent with the next message. Never waits. */
  update(update: UnitLocation): void;
  readonly pending: number;
  stats(): { messages: number; units: number; superseded: number; failures: number; lastError: string | null };
  /** Resolves when every update given so far has been accepted by the hub. */
  flushed(): Promise<void>;
}

export interface WebsocketSession extends AsyncIterable<PushEvent>, AsyncDisposable {
  readonly state: 'connected' | 'reconnecting' | 'closed';
  /** The server whose push events this session receives (`null`: none). */
  readonly serverId: number | null;
  /** Events dropped from a full `for await` queue since the session started. */
  readonly droppedEvents: number;
  readonly unitLocations: UnitLocations;
  /** A documented event type: `event.data` is that type's payload. Another name does not typecheck (and throws). */
  on<T extends PushEventType>(type: T, handler: (event: PushEventMap[T]) => void): () => void;
  /** Every event, undocumented types included (`event.unknown`). */
  on(type: '*', handler: (event: PushEvent) => void): () => void;
  /** A payload that failed to decode (`event`), events dropped from a full queue (`overflow`), the reason the session ended. */
  on(type: 'error', handler: (error: WebsocketError) => void): () => void;
  /**
   * Connected and authenticated: at once (in a microtask) for a handler added to a connected
   * session, then after every reconnect (`reconnect: true`). Load the state you mirror here.
   */
  on(type: 'connected', handler: (info: { reconnect: boolean }) => void): () => void;
  /** The connection dropped (SignalR's error, or null); reconnect attempts follow. */
  on(type: 'disconnected', handler: (error: Error | null) => void): () => void;
  /** Before each reconnect attempt (from 0), `afterMs` from now. */
  on(type: 'reconnecting', handler: (attempt: { attempt: number; afterMs: number; reason: Error | null }) => void): () => void;
  /** Connected and authenticated again: push events flow once more. */
  on(type: 'reconnected', handler: (value: null) => void): () => void;
  /** The connection ended for good (closed, or out of attempts). */
  on(type: 'closed', handler: (error: Error | null) => void): () => void;
  invoke(method: string, ...args: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

export interface WebsocketOptions {
  communityId: string;
  apiKey: string;
  /** The server whose push events this session receives: default 1, as the REST client's; `null` for none. */
  serverId?: number | null;
  /** Default `https://api.sonorancad.com`; the hub's URL works too. */
  baseUrl?: string;
  /** Go straight to the websocket, without `POST /apiWsHub/negotiate` (default false: negotiate, as Sonoran's own clients do). */
  skipNegotiation?: boolean;
  /** Attempt n waits `delaysMs[n]`, the last one repeating (default `[0, 2000, 10000, 30000]`, the first-party schedule). */
  reconnect?: { delaysMs?: readonly number[]; maxAttempts?: number };
  /** At most this many events wait for a busy `for await` reader (default 1000); the oldest go first. Nothing is kept while no iterator is open. */
  maxQueuedEvents?: number;
  /**
   * SignalR's own logging: a level (`'warning'`, `'error'`, ..., or @microsoft/signalr's
   * `LogLevel`), a logger (`{ log(level, message) }`), or `null` (the default: quiet).
   */
  logger?: 'trace' | 'debug' | 'information' | 'info' | 'warning' | 'warn' | 'error' | 'critical' | 'none' | number | { log(level: number, message: string): void } | null;
}

export declare function connectWebsocket(options: WebsocketOptions): Promise<WebsocketSession>;
/** The first-party reconnect schedule: `[0, 2000, 10000, 30000]` ms. */
export declare const FIRST_PARTY_RECONNECT_DELAYS_MS: readonly number[];
/** The wait before reconnect attempt `n` (from 0): `delaysMs[n]`, the last one repeating. */
export declare function reconnectDelay(n: number, policy?: { delaysMs?: readonly number[] }): number;
/** The SignalR retry policy the session uses; `onAttempt` is told before each attempt. */
export declare function reconnectPolicy(
  policy?: { delaysMs?: readonly number[]; maxAttempts?: number },
  onAttempt?: (attempt: { attempt: number; afterMs: number; reason: Error | null }) => void,
): { nextRetryDelayInMilliseconds(context: { previousRetryCount: number; elapsedMilliseconds: number; retryReason: Error }): number | null };
