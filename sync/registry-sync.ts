import type { WritableAllowlistStore } from "../daemon/allowlist/allowlist-store.js";
import { type ApplyResult, applyAllowlistBody } from "../daemon/allowlist/apply-body.js";
import { readRosterBody } from "../daemon/trust/roster-body.js";
import type { RosterStore } from "../daemon/trust/roster-store.js";
import type { Clock } from "../platform/clock.js";
import { describeError } from "../platform/log/describe-error.js";
import type { Logger } from "../platform/log/logger.js";
import { type BackoffPolicy, backoffDelay } from "./backoff.js";
import type { EventUploader, UploadRun } from "./event-uploader.js";
import { type ProgressSink, withProgress } from "./progress.js";
import type { RegistryClient, RegistryFailure } from "./registry-client.js";
import type { SyncStateStore } from "./sync-state.js";

export interface RegistrySyncSettings {
  /** The registry URL, for status and logs. */
  readonly registry: string;
  readonly site: string;
  readonly trustedKeys: Readonly<Record<string, string>>;
  /** ms between pulls when all is well. */
  readonly pollInterval: number;
  readonly backoff: BackoffPolicy;
  /** ms between upload runs when all is well. */
  readonly uploadInterval: number;
  /**
   * Identifies the registry URL and token in use (a hash, never the token). After a
   * 401/403 it is recorded, and the loop stays stopped while it is unchanged.
   */
  readonly fingerprint: string;
}

export interface RegistrySyncParts {
  readonly client: RegistryClient;
  readonly store: WritableAllowlistStore;
  readonly state: SyncStateStore;
  /** Absent: this loop only pulls. */
  readonly uploader?: EventUploader;
  readonly clock: Clock;
  readonly logger: Logger;
  /** [0, 1), for backoff jitter. Default Math.random. */
  readonly random?: () => number;
  /** A sink for a snapshot's progress; absent: none. */
  readonly progress?: () => ProgressSink;
  /** Called after every pull attempt (the staleness watch re-checks). */
  readonly onPulled?: (outcome: PullOutcome) => void;
  /** The site roster to keep in step with the registry's; absent: the roster is not pulled. */
  readonly roster?: RosterStore;
  /**
   * The daemon's paced clearing of replaced allowlists: an apply leaves them to it and wakes
   * it. Absent: each apply clears them itself before it returns.
   */
  readonly retired?: { wake(): void };
}

/** What one roster pull came to. */
export type RosterPull =
  | { readonly kind: "applied"; readonly version: number; readonly members: number }
  | { readonly kind: "not_modified" | "absent" | "not_newer" }
  | { readonly kind: "refused"; readonly reason: string; readonly message: string }
  | RegistryFailure;

/** What one pull came to. */
export type PullOutcome =
  | { readonly kind: "applied"; readonly result: Extract<ApplyResult, { ok: true }> }
  | { readonly kind: "not_modified" }
  | { readonly kind: "refused"; readonly reason: string; readonly message: string }
  | { readonly kind: "stopped"; readonly message: string }
  | RegistryFailure;

/**
 * Keeps the allowlist in step with the registry and uploads the journal: pulls a snapshot
 * first (or whenever told to, or after a delta that does not fit), `?since=V` after; polls
 * every `pollInterval`, at once on `requestSync()` (the registry's MQTT push), with
 * backoff and jitter after network errors, 429 and 5xx; and stops after 401/403 until the
 * registry URL or token changes. Every body goes through `applyAllowlistBody`: a refused
 * body changes nothing and is logged and counted. Nothing here throws into the daemon: a
 * failing registry leaves the gate deciding on the allowlist it has.
 *
 * Constructor does nothing; `start()` begins, `stop()` aborts what is in flight and waits.
 */
export class RegistrySync {
  private readonly log: Logger;
  private readonly random: () => number;
  private pullTimer: NodeJS.Timeout | undefined;
  private uploadTimer: NodeJS.Timeout | undefined;
  private pulling: Promise<PullOutcome> | undefined;
  private uploading: Promise<UploadRun> | undefined;
  private pullAgain = false;
  private snapshotNext = false;
  private uploadFailures = 0;
  private running = false;
  private abort = new AbortController();
  /** What the last roster pull came to (`passgate sync now` prints it). */
  lastRoster: RosterPull | undefined;

  constructor(
    private readonly settings: RegistrySyncSettings,
    private readonly parts: RegistrySyncParts,
  ) {
    this.log = parts.logger;
    this.random = parts.random ?? Math.random;
  }

  /** Starts polling (the first pull at once) and uploading. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    if (this.stoppedByAuth()) {
      this.parts.state.setNextAttempt(null);
      this.log.error(
        { registry: this.settings.registry },
        "registry sync stays stopped: the registry refused this token (401/403) and the config has not changed",
      );
    } else this.schedulePull(0);
    if (this.parts.uploader !== undefined) this.scheduleUpload(0);
  }

  /** Stops the timers, aborts requests in flight (a body being applied is discarded) and waits for them. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.pullTimer);
    clearTimeout(this.uploadTimer);
    this.abort.abort();
    await Promise.allSettled([this.pulling, this.uploading]);
  }

  /**
   * Pulls now instead of at the next poll, e.g. on the registry's push
   * (`pg/registry/{site}/changed`). A pull already running is followed by one more.
   * Ignored while stopped by a 401/403.
   */
  requestSync(): void {
    if (!this.running) return;
    if (this.stoppedByAuth()) {
      this.log.warn("sync requested, but the registry refused this token: fix the token and restart");
      return;
    }
    if (this.pulling !== undefined) {
      this.pullAgain = true;
      return;
    }
    this.schedulePull(0);
  }

  /**
   * One pull, whatever the schedule or an earlier 401 says (for `passgate sync now`, an
   * operator's explicit request). `snapshot`: ask for a full snapshot.
   */
  async pullOnce(options: { snapshot?: boolean } = {}): Promise<PullOutcome> {
    if (this.pulling !== undefined) await this.pulling.catch(() => undefined);
    if (options.snapshot === true) this.snapshotNext = true;
    const run = this.pull();
    this.pulling = run;
    try {
      return await run;
    } finally {
      this.pulling = undefined;
    }
  }

  /** One upload run (for `passgate sync now`). */
  async uploadOnce(): Promise<UploadRun> {
    if (this.parts.uploader === undefined) return { sent: 0 };
    return this.parts.uploader.uploadPending(this.abort.signal);
  }

  private stoppedByAuth(): boolean {
    return this.parts.state.get().stoppedFor === this.settings.fingerprint;
  }

  private schedulePull(delay: number): void {
    clearTimeout(this.pullTimer);
    if (!this.running) return;
    this.parts.state.setNextAttempt(this.parts.clock.now() + delay);
    this.pullTimer = setTimeout(() => void this.runScheduledPull(), delay);
  }

  /**
   * The scheduled pull, and the next one scheduled. Never rejects (it runs from a timer): if
   * the sync state cannot be read or written, the next pull comes after one backoff step
   * anyway, so a database busy for a moment never stops the sync for good.
   */
  private async runScheduledPull(): Promise<void> {
    try {
      await this.runScheduledPullUnsafe();
    } catch (err) {
      this.log.error({ err: describeError(err) }, "the next pull could not be scheduled from the sync state");
      if (!this.running) return;
      clearTimeout(this.pullTimer);
      this.pullTimer = setTimeout(
        () => void this.runScheduledPull(),
        backoffDelay(this.settings.backoff, 1, this.random()),
      );
    }
  }

  private async runScheduledPullUnsafe(): Promise<void> {
    const run = this.pull();
    this.pulling = run;
    let outcome: PullOutcome;
    try {
      outcome = await run;
    } finally {
      this.pulling = undefined;
    }
    if (!this.running) return;
    if (outcome.kind === "stopped" || outcome.kind === "unauthorized") {
      this.parts.state.setNextAttempt(null);
      return;
    }
    if (this.pullAgain) {
      this.pullAgain = false;
      this.schedulePull(0);
      return;
    }
    const failures = this.parts.state.get().failures;
    if (failures === 0) this.schedulePull(this.settings.pollInterval);
    else {
      const retryAfter = outcome.kind === "retry" ? outcome.retryAfterMs : undefined;
      this.schedulePull(backoffDelay(this.settings.backoff, failures, this.random(), retryAfter));
    }
  }

  private async pull(): Promise<PullOutcome> {
    let outcome: PullOutcome;
    try {
      outcome = await this.pullUnsafe();
    } catch (err) {
      // A bug or a storage error: logged and retried like a failed pull, never thrown into the daemon.
      outcome = { kind: "failed", status: null, message: describeError(err).message };
    }
    // Cut short by stop(): not the registry's failure, nothing to record.
    if (this.abort.signal.aborted && outcome.kind !== "applied")
      return { kind: "stopped", message: "sync stopped" };
    try {
      this.record(outcome);
    } catch (err) {
      // The sync state's table is busy or failing (another writer holding the database past
      // its busy timeout): the allowlist is as the pull left it; only `sync status` lags.
      this.log.error({ err: describeError(err) }, "the pull's outcome could not be recorded");
    }
    try {
      this.parts.onPulled?.(outcome);
    } catch (err) {
      this.log.error({ err: describeError(err) }, "after-pull hook failed");
    }
    // The roster rides on a good allowlist pull: same registry, same token, same schedule.
    if (outcome.kind === "applied" || outcome.kind === "not_modified") await this.pullRoster();
    return outcome;
  }

  /**
   * Pulls the site roster (site-roster.md) and applies it when it is newer and verifies,
   * whole; a refused roster changes nothing. Logged, never thrown: the allowlist and the
   * decisions go on whatever the roster does.
   */
  async pullRoster(): Promise<RosterPull | undefined> {
    const roster = this.parts.roster;
    if (roster === undefined) return undefined;
    let pulled: RosterPull;
    try {
      pulled = await this.pullRosterUnsafe(roster);
    } catch (err) {
      pulled = { kind: "failed", status: null, message: describeError(err).message };
    }
    this.lastRoster = pulled;
    if (pulled.kind === "applied")
      this.log.info(
        { version: pulled.version, members: pulled.members },
        `roster v${pulled.version} applied`,
      );
    else if (pulled.kind === "refused")
      this.log.warn(
        { reason: pulled.reason },
        `roster refused (${pulled.reason}): ${pulled.message}; the roster in force stays`,
      );
    else if (pulled.kind === "retry" || pulled.kind === "failed" || pulled.kind === "unauthorized")
      this.log.warn(
        { status: pulled.status, error: pulled.message },
        "roster not fetched; the roster in force stays",
      );
    return pulled;
  }

  private async pullRosterUnsafe(roster: RosterStore): Promise<RosterPull> {
    const since = roster.version()?.version ?? null;
    const fetched = await this.parts.client.fetchRoster(since, this.abort.signal);
    if (fetched.kind !== "body") return fetched;
    const read = readRosterBody(fetched.body, {
      site: this.settings.site,
      trustedKeys: this.settings.trustedKeys,
    });
    if (!read.ok) return { kind: "refused", reason: read.reason, message: read.message };
    const applied = roster.applyRegistry(read, this.parts.clock.now());
    if (!applied.ok) return { kind: "not_newer" };
    return { kind: "applied", version: read.version, members: read.members.length };
  }

  private async pullUnsafe(): Promise<PullOutcome> {
    const { store, client, clock } = this.parts;
    const stats = store.stats();
    const since =
      this.snapshotNext || stats.site !== this.settings.site || stats.version === null ? null : stats.version;
    const fetched = await client.fetchAllowlist(since, this.abort.signal);
    if (fetched.kind !== "body") return fetched;
    const body =
      this.parts.progress === undefined ? fetched.body : withProgress(fetched.body, this.parts.progress());
    const result = await applyAllowlistBody(store, body, {
      site: this.settings.site,
      trustedKeys: this.settings.trustedKeys,
      now: clock.now(),
      signal: this.abort.signal,
      leaveRetired: this.parts.retired !== undefined,
    });
    // A refused snapshot discarded its staging: that is for the clearing too.
    this.parts.retired?.wake();
    if (!result.ok) return { kind: "refused", reason: result.reason, message: result.message };
    return { kind: "applied", result };
  }

  private record(outcome: PullOutcome): void {
    const { state, clock } = this.parts;
    const now = clock.now();
    const registry = this.settings.registry;
    switch (outcome.kind) {
      case "applied": {
        this.snapshotNext = false;
        const r = outcome.result;
        state.recordSuccess(registry, now);
        this.log.info(
          { kind: r.kind, from: r.from, to: r.to, count: r.count, puts: r.puts, dels: r.dels },
          `allowlist ${r.kind} v${r.to} applied`,
        );
        return;
      }
      case "not_modified":
        state.recordSuccess(registry, now);
        this.log.debug("allowlist is up to date (304)");
        return;
      case "refused":
        // A delta that does not fit the version in force cannot fit next time either: ask for a snapshot.
        if (outcome.reason === "delta_from_mismatch") this.snapshotNext = true;
        state.recordFailure(registry, now, {
          code: outcome.reason,
          message: outcome.message,
          refusal: outcome.reason,
        });
        this.log.error(
          { reason: outcome.reason, error: outcome.message },
          "registry body refused; the allowlist in force is unchanged",
        );
        return;
      case "unauthorized": {
        const message = `the registry refused the gate's token (${outcome.message}): sync is stopped until registry.url or the token in registry.tokenFile changes`;
        state.recordFailure(registry, now, {
          code: "unauthorized",
          message,
          stoppedFor: this.settings.fingerprint,
        });
        this.log.error({ status: outcome.status }, message);
        return;
      }
      case "stopped":
        return;
      default:
        state.recordFailure(registry, now, { code: outcome.kind, message: outcome.message });
        this.log.warn(
          { status: outcome.status, error: outcome.message },
          "registry unreachable or failing; retrying with backoff, the allowlist in force stays",
        );
    }
  }

  private scheduleUpload(delay: number): void {
    clearTimeout(this.uploadTimer);
    if (!this.running) return;
    this.uploadTimer = setTimeout(() => void this.runScheduledUpload(), delay);
  }

  private async runScheduledUpload(): Promise<void> {
    const uploader = this.parts.uploader;
    if (uploader === undefined || this.stoppedByAuth()) {
      this.scheduleUpload(this.settings.uploadInterval);
      return;
    }
    let run: UploadRun;
    try {
      this.uploading = uploader.uploadPending(this.abort.signal);
      run = await this.uploading;
    } catch (err) {
      run = { sent: 0, failure: { kind: "failed", status: null, message: describeError(err).message } };
    } finally {
      this.uploading = undefined;
    }
    if (run.sent > 0) this.log.debug({ sent: run.sent }, "events uploaded");
    if (run.failure === undefined) {
      this.uploadFailures = 0;
      this.scheduleUpload(this.settings.uploadInterval);
      return;
    }
    this.uploadFailures++;
    this.log.warn({ error: run.failure.message }, "event upload failed; the batch stays in the backlog");
    const retryAfter = run.failure.kind === "retry" ? run.failure.retryAfterMs : undefined;
    this.scheduleUpload(
      Math.max(
        this.settings.uploadInterval,
        backoffDelay(this.settings.backoff, this.uploadFailures, this.random(), retryAfter),
      ),
    );
  }
}
