import { withGateDatabase } from "../../app/gate-database.js";
import type { Config } from "../../config/schema.js";
import { Journal } from "../../daemon/journal/journal.js";
import type { JournalEntry } from "../../daemon/journal/journal-entry.js";
import { ModeStore } from "../../daemon/state/mode-store.js";
import type { DaemonAnswer } from "./daemon-status.js";
import { readSyncStatus, type SyncStatusReport } from "./sync-status-report.js";

/** Journal entries `passgate status` shows. */
export const LAST_DECISIONS = 5;

/** What `passgate status --json` prints: the database's part, then the daemon's. */
export interface StatusReport {
  readonly site: string;
  readonly gate: string;
  readonly mode: { readonly mode: string; readonly since: string; readonly source: string };
  /** `sync status --json`'s report: allowlist version, age, backlog, last sync error. */
  readonly sync: SyncStatusReport;
  readonly lastDecisions: readonly JournalEntry[];
  readonly daemon: DaemonAnswer;
}

/**
 * Reads the database's part of the status and joins the daemon's answer. The database is
 * opened read-only: a look never changes what the running daemon owns.
 */
export function buildStatusReport(config: Config, daemon: DaemonAnswer, now: number): StatusReport {
  return withGateDatabase(config.storage, "read", (db) => {
    const mode = ModeStore.load(db, { mode: config.policy.mode, since: now, source: "config" }).get();
    const journal = Journal.open(db);
    return {
      site: config.site,
      gate: config.gate,
      mode: { mode: mode.mode, since: new Date(mode.since).toISOString(), source: mode.source },
      sync: readSyncStatus(config, db, now),
      lastDecisions: journal.tail(LAST_DECISIONS),
      daemon,
    };
  });
}
