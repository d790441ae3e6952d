import type { Config } from "../../config/schema.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import { Journal } from "../../daemon/journal/journal.js";
import type { Db } from "../../platform/database/database.js";
import { backlogSize } from "../../sync/event-uploader.js";
import { SyncStateStore } from "../../sync/sync-state.js";
import { escapeLine } from "./escape-control.js";
import { type FormatTime, utcTime } from "./gate-time.js";

/** What `sync status --json` prints (and `status --json` under `sync`). Times are ISO 8601, ages in seconds. */
export interface SyncStatusReport {
  readonly registry: string | null;
  readonly site: string;
  readonly version: number | null;
  readonly credentials: number;
  readonly syncedAt: string | null;
  readonly ageSeconds: number | null;
  readonly lastAttemptAt: string | null;
  readonly lastSuccessAt: string | null;
  readonly lastError: string | null;
  readonly lastErrorCode: string | null;
  readonly failures: number;
  readonly stopped: boolean;
  readonly nextAttemptAt: string | null;
  readonly refused: Readonly<Record<string, number>>;
  readonly backlog: number;
  readonly uploadedAt: string | null;
  readonly uploadError: string | null;
}

/** Reads what the gate recorded of its syncs from `db`; only reads, so a read-only connection will do. */
export function readSyncStatus(config: Config, db: Db, now: number): SyncStatusReport {
  const stats = SqliteAllowlistStore.open(db).stats();
  const state = SyncStateStore.open(db);
  const s = state.get();
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    registry: config.registry?.url ?? null,
    site: config.site,
    version: stats.version,
    credentials: stats.count,
    syncedAt: iso(stats.syncedAt),
    ageSeconds: stats.syncedAt === null ? null : Math.max(0, Math.round((now - stats.syncedAt) / 1000)),
    lastAttemptAt: iso(s.lastAttemptAt),
    lastSuccessAt: iso(s.lastSuccessAt),
    lastError: s.lastError,
    lastErrorCode: s.lastErrorCode,
    failures: s.failures,
    stopped: s.stoppedFor !== null,
    nextAttemptAt: iso(s.nextAttemptAt),
    refused: s.refused,
    backlog: backlogSize(Journal.open(db), state),
    uploadedAt: iso(s.uploadedAt),
    uploadError: s.uploadError,
  };
}

/**
 * `sync status` for a person: one labelled line per part. The registry URL, its error
 * messages and the refusal reasons come from the network or the registry, so they are
 * printed through `escapeLine`.
 */
export function formatSyncStatus(s: SyncStatusReport, formatTime: FormatTime = utcTime): string {
  const time = (iso: string | null, none: string): string =>
    iso === null ? none : formatTime(Date.parse(iso));
  const age = s.ageSeconds === null ? "never synced" : `${formatAgeSeconds(s.ageSeconds)} old`;
  const refused = Object.entries(s.refused)
    .map(([reason, n]) => `${escapeLine(reason)} ${n}`)
    .join(", ");
  const lines = [
    ["registry", s.registry === null ? "(none configured)" : escapeLine(s.registry)],
    ["allowlist", `${s.version === null ? "none" : `v${s.version}`}, ${s.credentials} credentials, ${age}`],
    ["last success", time(s.lastSuccessAt, "never")],
    [
      "last error",
      s.lastError === null
        ? "none"
        : `${escapeLine(s.lastErrorCode ?? "")}: ${escapeLine(s.lastError)} (${s.failures} in a row)`,
    ],
    [
      "next attempt",
      s.stopped ? "stopped: the registry refused the token (fix it and restart)" : time(s.nextAttemptAt, "—"),
    ],
    ["refused bodies", refused === "" ? "none" : refused],
    [
      "event backlog",
      `${s.backlog}${s.uploadError === null ? "" : ` (last upload error: ${escapeLine(s.uploadError)})`}`,
    ],
    ["last upload", time(s.uploadedAt, "never")],
  ];
  return `${lines.map(([k, v]) => `${`${k}:`.padEnd(16)}${v}`).join("\n")}\n`;
}

/** `45 s`, `13 min`, `5 h`, `3 d`: an age in whole seconds, rounded to the unit that reads best. */
export function formatAgeSeconds(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}
