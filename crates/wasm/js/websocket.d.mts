// `sonoran-cad/websocket`: Sonoran CAD's websocket API (`/apiWsHub`) over @microsoft/signalr.

/** Documented: at most 25 unit update objects per `unitLocation` call. */
export declare const MAX_UNITS_PER_MESSAGE: 25;
/** Documented: one `unitLocation` every 250 ms. */
export declare const UNIT_INTERVAL_MS: 250;

/** Why a session failed: `kind`, as `SonoranError` and `PushEventError` name their category. */
export type WebsocketErrorKind = 'config' | 'connect' | 'auth' | 'event' | 'invocation' | 'closed';

export declare class WebsocketError extends Error {
  readonly name: 'WebsocketError';
  readonly kind: WebsocketErrorKind;
  /** @deprecated Use `kind` (the same value). */
  readonly code: WebsocketErrorKind;
}

/** A push event, decoded as `sonoran-cad/events` decodes it: `event.type` narrows `event.data`. */
import type { PushEvent } from './events.mjs';
export type { PushEvent };

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
  readonly unitLocations: UnitLocations;
  on(type: 'error', handler: (error: WebsocketError) => void): () => void;
  on(type: 'reconnecting', handler: (error: Error | null) => void): () => void;
  on(type: 'reconnected', handler: (value: null) => void): () => void;
  on(type: string, handler: (event: PushEvent) => void): () => void;
  invoke(method: string, ...args: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

export interface WebsocketOptions {
  communityId: string;
  apiKey: string;
  /** The server whose push events this session receives. */
  serverId?: number;
  /** Default `https://api.sonorancad.com`; the hub's URL works too. */
  baseUrl?: string;
  reconnect?: { initialMs?: number; maxMs?: number; maxAttempts?: number };
  /** A @microsoft/signalr log level or logger (default: warnings). */
  logger?: unknown;
}

export declare function connectWebsocket(options: WebsocketOptions): Promise<WebsocketSession>;
/** The wait before reconnect attempt `n`: doubling, capped, drawn in [half, all]. */
export declare function reconnectDelay(n: number, policy?: { initialMs?: number; maxMs?: number }): number;
