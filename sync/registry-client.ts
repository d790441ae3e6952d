/**
 * The gate's view of the central registry (../shared/spec/registry-sync.md): the port the
 * sync loop talks to. `HttpRegistryClient` is the real one, `FakeRegistryClient` the test one.
 *
 * Every implementation must:
 * - return every outcome the spec names as a value, never throw for them: a network
 *   error, a timeout, 429 and 5xx are `retry`; 401/403 are `unauthorized`; anything
 *   else unexpected (a 404, a wrong content type) is `failed`;
 * - hand back an allowlist body as a stream that is read as it arrives, never buffered
 *   whole (a snapshot of 10⁶ credentials is ~400 MB); an error while reading it (the
 *   connection cut) surfaces as a rejected iteration, which the apply turns into a refusal;
 *   a body it cannot decode (a Content-Encoding it did not ask for, a corrupt gzip stream,
 *   one that expands past its bounds) rejects with an `ApplyRefusal` naming why;
 * - stop the request when `signal` aborts;
 * - bound each request by its timeout from start to last byte, a body being read included
 *   (a body that trickles past it errors like a cut connection);
 * - follow no redirect: a 3xx is `failed`, naming where it pointed;
 * - never log or return the bearer token.
 */
export interface RegistryClient {
  /** GET the site's allowlist: a full snapshot when `since` is null, else the changes after `since`. */
  fetchAllowlist(since: number | null, signal?: AbortSignal): Promise<AllowlistFetch>;
  /** POST one batch of events, in order. `accepted` is what the registry reported. */
  postEvents(events: readonly UploadEvent[], signal?: AbortSignal): Promise<EventPost>;
  /**
   * GET the site's roster (site-roster.md): the whole body (small, read into memory up to
   * MAX_ROSTER_BYTES, a larger one is `failed`), `not_modified` when `since` is the newest,
   * `absent` when the registry keeps no roster for the site (404).
   */
  fetchRoster(since: number | null, signal?: AbortSignal): Promise<RosterFetch>;
}

export type RosterFetch =
  | { readonly kind: "body"; readonly body: Buffer }
  | { readonly kind: "not_modified" }
  | { readonly kind: "absent" }
  | RegistryFailure;

/** Why a request did not succeed and whether waiting helps. */
export type RegistryFailure =
  /** Network error, timeout, 429 or 5xx: try again after a backoff. */
  | {
      readonly kind: "retry";
      readonly status: number | null;
      readonly message: string;
      /** The registry's Retry-After, in ms, when it sent one. */
      readonly retryAfterMs?: number;
    }
  /** 401/403: the token is bad; no retry until the config changes. */
  | { readonly kind: "unauthorized"; readonly status: number; readonly message: string }
  /** An answer the spec does not allow (404, 400, a 200 that is not NDJSON…): retried after a backoff too. */
  | { readonly kind: "failed"; readonly status: number | null; readonly message: string };

export type AllowlistFetch =
  | {
      readonly kind: "body";
      /** The NDJSON body as it arrives. Read it to the end or `return()` it to close the connection. */
      readonly body: AsyncIterable<Uint8Array>;
      /** Content-Length in bytes, when the registry sent one (for progress). */
      readonly bytes: number | null;
    }
  | { readonly kind: "not_modified" }
  | RegistryFailure;

export type EventPost = { readonly kind: "accepted"; readonly accepted: number } | RegistryFailure;

/** One event as the registry receives it. Never holds scan text: only ids the gate resolved. */
export interface UploadEvent {
  readonly id: string;
  readonly gate: string;
  readonly reader: string | null;
  /** ISO-8601. */
  readonly at: string;
  readonly credential: string | null;
  readonly person: string | null;
  readonly result: "granted" | "denied" | null;
  readonly reason: string | null;
  readonly passed: boolean;
}
