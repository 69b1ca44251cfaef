// The client class and every request/response type, as generated from the spec.
export * from './web/sonoran_cad_wasm.js';

/** Why a call failed. */
export type SonoranErrorKind =
  | 'invalidArgument'
  | 'invalidRequest'
  | 'timeout'
  | 'transport'
  | 'rateLimited'
  | 'api'
  | 'malformedReply'
  | 'internal'
  | 'other';

/** Every rejection of a `SonoranClient` method is a `SonoranError`. */
export declare class SonoranError extends Error {
  readonly name: 'SonoranError';
  readonly kind: SonoranErrorKind;
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
  /** Seconds the API asked to wait (429). */
  readonly retryAfter?: number;
  readonly requestId?: string;
  /** The error body as received. */
  readonly body?: string;
}
