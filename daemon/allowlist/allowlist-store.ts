import type { Credential } from "./credential.js";

/** What a registry body does to the allowlist: a snapshot replaces it, a delta changes the ids it names. */
export type AllowlistBodyKind = "snapshot" | "delta";

/** The allowlist in force, as the last committed registry body described it. */
export interface AllowlistStats {
  /** Site the allowlist belongs to; null before the first sync. */
  site: string | null;
  /** Registry version in force; null before the first sync. */
  version: number | null;
  /** Credentials in force. */
  count: number;
  /** Epoch ms: when the registry issued the body in force (its header's `issuedAt`). */
  issuedAt: number | null;
  /** Epoch ms: when this gate committed that body. */
  syncedAt: number | null;
}

/**
 * The gate's local copy of the registry allowlist, read on every scan.
 *
 * Every implementation must:
 * - answer `get` from local state only (no network, no awaiting), fast enough for the
 *   decision path: a single keyed lookup of microseconds, also with 10⁶ credentials;
 * - match ids exactly: `get` is called with the canonical decimal id from the token, and an
 *   id in another form ("01", " 1") is simply not found;
 * - return a fresh object the caller may keep (later updates do not change it);
 * - show only committed state: while an update is staged, `get` and `stats` still answer
 *   from the allowlist in force, and switch to the new one at once when it commits.
 */
export interface AllowlistStore {
  /** Hot path (called for every scan, must be a single primary-key lookup, microseconds): the credential with this canonical decimal id, or undefined. */
  get(id: string): Credential | undefined;
  stats(): AllowlistStats;
}

/** Meta recorded with a committed update. Times are epoch ms. */
export interface AllowlistUpdateMeta {
  site: string;
  version: number;
  issuedAt: number;
  syncedAt: number;
}

/**
 * An update being built beside the allowlist in force. Nothing staged is visible through
 * `get`/`stats` until `commit`, which switches everything at once.
 */
export interface AllowlistStaging {
  /** Stages a credential; a later `put` or `del` of the same id in this update wins. */
  put(credential: Credential): void;
  /** Stages the removal of an id; removing an id that is not there is not an error. */
  del(id: string): void;
  /**
   * Switches the staged records in, with `meta`, in one atomic step, and returns the number
   * of credentials in force afterwards. Throws `AllowlistChangedError` (and changes nothing)
   * when another update was committed since this one was staged.
   */
  commit(meta: AllowlistUpdateMeta): number;
  /** Throws away what was staged. Safe to call more than once and after `commit`. */
  discard(): void;
}

/** An allowlist store that registry bodies can be applied to (see `applyAllowlistBody`). */
export interface WritableAllowlistStore extends AllowlistStore {
  /**
   * Starts staging an update on top of the allowlist in force now (`now`: epoch ms, used
   * only to clean up what crashed earlier updates left behind). Several updates may be
   * staged at once; the first to commit wins and the others' `commit` throws.
   */
  stage(kind: AllowlistBodyKind, now: number): AllowlistStaging;
  /**
   * One bounded step (a short transaction, milliseconds) of clearing allowlists no longer
   * in force: the one a snapshot replaced, a discarded or crashed staging (`now`: epoch ms,
   * to tell a crashed staging from one running elsewhere). Returns false once nothing is
   * left. The caller gives the event loop a turn between steps; what is in force is never
   * touched, so stopping half-way loses nothing (a later apply goes on).
   */
  clearRetired(now: number): boolean;
}

/** Another update was committed while this one was staged; the allowlist in force is the other one. */
export class AllowlistChangedError extends Error {
  readonly code = "ALLOWLIST_CHANGED";
  constructor(
    readonly expected: { site: string | null; version: number | null },
    readonly found: { site: string | null; version: number | null },
  ) {
    super(
      `the allowlist changed from v${expected.version ?? "none"} to v${found.version ?? "none"} while this update was staged`,
    );
  }
}
