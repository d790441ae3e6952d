import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { type Config, syncedRegistry } from "../config/schema.js";
import type { WritableAllowlistStore } from "../daemon/allowlist/allowlist-store.js";
import { stalenessBudgets } from "../daemon/decide/staleness.js";
import type { Journal } from "../daemon/journal/journal.js";
import { RosterStore } from "../daemon/trust/roster-store.js";
import type { Clock } from "../platform/clock.js";
import type { Db } from "../platform/database/database.js";
import { describeError } from "../platform/log/describe-error.js";
import type { Logger } from "../platform/log/logger.js";
import { EventUploader } from "./event-uploader.js";
import { HttpRegistryClient } from "./http-registry-client.js";
import { LogProgress, type ProgressSink } from "./progress.js";
import type { RegistryClient } from "./registry-client.js";
import { type PullOutcome, RegistrySync } from "./registry-sync.js";
import { StalenessWatch } from "./staleness-watch.js";
import { SyncStateStore } from "./sync-state.js";

/** How often the staleness budgets are checked between pulls. */
const STALENESS_CHECK_MS = 60_000;

export interface SyncParts {
  readonly db: Db;
  readonly store: WritableAllowlistStore;
  readonly journal: Journal;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Default: the HTTP client for `config.registry`. Tests pass a fake. */
  readonly client?: RegistryClient;
  readonly progress?: () => ProgressSink;
  /** Called after every pull attempt. */
  readonly onPulled?: (outcome: PullOutcome) => void;
  /** The daemon's paced clearing of replaced allowlists (RegistrySyncParts.retired). */
  readonly retired?: { wake(): void };
  /** Called after a staleness alarm was logged and journaled (the gate publishes it as an event). */
  readonly onStale?: (alarm: { role: string; budgetMs: number; ageMs: number | null; at: number }) => void;
}

/**
 * The gate's bearer token from `registry.tokenFile`, trimmed; null when none is configured
 * or the file cannot be read (logged: the registry will then answer 401 and sync stops).
 */
export function readRegistryToken(config: Config, log: Logger): string | null {
  const file = config.registry?.tokenFile;
  if (file === undefined) return null;
  try {
    const token = readFileSync(file, "utf8").trim();
    return token === "" ? null : token;
  } catch (err) {
    log.error({ file, err: describeError(err) }, "cannot read registry.tokenFile; syncing without a token");
    return null;
  }
}

/** Identifies (url, token) without revealing the token: a short SHA-256. */
export function registryFingerprint(url: string, token: string | null): string {
  return createHash("sha256")
    .update(`${url}\0${token ?? ""}`)
    .digest("hex")
    .slice(0, 16);
}

/** Builds the sync loop for `config.registry` (which must have a `url`). Starts nothing. */
export function createRegistrySync(config: Config, parts: SyncParts): RegistrySync {
  const registry = syncedRegistry(config);
  if (registry === undefined) throw new Error("no registry URL configured");
  const log = parts.logger;
  const token = readRegistryToken(config, log);
  const client =
    parts.client ??
    new HttpRegistryClient({
      url: registry.url,
      site: config.site,
      token,
      timeoutMs: config.sync.requestTimeout,
      gzip: {
        maxBytes: config.sync.gzip.maxDecompressedMiB * 2 ** 20,
        maxRatio: config.sync.gzip.maxRatio,
      },
    });
  const state = SyncStateStore.open(parts.db);
  // The roster lives in the same database; the registry's replaces the local one when newer.
  const roster = RosterStore.open(parts.db);
  const uploader = new EventUploader(parts.journal, state, client, {
    batch: config.sync.uploadBatch,
    now: () => parts.clock.now(),
    keepUploaded: config.sync.keepUploaded,
  });
  return new RegistrySync(
    {
      registry: registry.url,
      site: config.site,
      trustedKeys: registry.trustedKeys,
      pollInterval: registry.pollInterval,
      backoff: config.sync.backoff,
      uploadInterval: config.sync.uploadInterval,
      fingerprint: registryFingerprint(registry.url, token),
    },
    {
      client,
      store: parts.store,
      state,
      uploader,
      clock: parts.clock,
      logger: log,
      ...(parts.progress === undefined ? {} : { progress: parts.progress }),
      ...(parts.onPulled === undefined ? {} : { onPulled: parts.onPulled }),
      ...(parts.retired === undefined ? {} : { retired: parts.retired }),
      roster,
    },
  );
}

export interface RunningSync {
  /** Pull now (the registry's MQTT push calls this). */
  requestSync(): void;
  stop(): Promise<void>;
}

/**
 * Starts registry sync in the daemon when `registry` is configured, with the staleness
 * watch (alarms journaled and logged). Returns undefined when there is no registry. Never
 * throws for a failing registry: the gate runs on the allowlist it has.
 */
export function startRegistrySync(config: Config, parts: SyncParts): RunningSync | undefined {
  if (syncedRegistry(config) === undefined) return undefined;
  const log = parts.logger;
  const budgets = stalenessBudgets(config);
  const watch =
    budgets === undefined
      ? undefined
      : new StalenessWatch(
          parts.store,
          budgets,
          (alarm) => {
            const age = Number.isFinite(alarm.age) ? Math.round(alarm.age) : null;
            log.error(
              { alarm: "allowlist_stale", role: alarm.role, budgetMs: alarm.budget, ageMs: age },
              `allowlist staleness budget of role "${alarm.role}" ran out: its credentials are denied until a sync succeeds`,
            );
            const at = parts.clock.now();
            try {
              parts.journal.append({
                kind: "alarm",
                at,
                gate: config.gate,
                reader: null,
                direction: null,
                credential: null,
                person: null,
                step: null,
                result: null,
                reason: "allowlist_stale",
                data: { role: alarm.role, budgetMs: alarm.budget, ageMs: age },
              });
            } catch (err) {
              log.error({ err: describeError(err) }, "could not journal the staleness alarm");
            }
            parts.onStale?.({ role: alarm.role, budgetMs: alarm.budget, ageMs: age, at });
          },
          (roles) => log.info({ roles }, "allowlist fresh again for these roles"),
        );
  const check = () => {
    try {
      watch?.check(parts.clock.now());
    } catch (err) {
      log.error({ err: describeError(err) }, "staleness check failed");
    }
  };
  // The watch runs after each pull too: a success clears alarms at once.
  const sync = createRegistrySync(config, {
    progress: () => new LogProgress(log),
    ...parts,
    onPulled: (outcome) => {
      check();
      parts.onPulled?.(outcome);
    },
  });
  sync.start();
  check();
  const timer = watch === undefined ? undefined : setInterval(check, STALENESS_CHECK_MS);
  timer?.unref();
  return {
    requestSync: () => sync.requestSync(),
    stop: async () => {
      clearInterval(timer);
      await sync.stop();
    },
  };
}
