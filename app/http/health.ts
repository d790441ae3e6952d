import type { Db } from "../../platform/database/database.js";

/**
 * The checks `/health` and the systemd watchdog run. `database_corrupt`: the database file
 * is damaged (quick_check at start, or SQLITE_CORRUPT since); only a restore mends it.
 */
export type HealthCheckName = "database" | "database_corrupt" | "stopping";

export interface HealthReport {
  readonly ok: boolean;
  /** Names of the checks that failed; empty when healthy. */
  readonly failing: readonly HealthCheckName[];
}

/**
 * Whether the systemd watchdog is fed: healthy, or failing only `database_corrupt`. A
 * restart cannot mend a damaged file, so the watchdog does not turn it into a restart loop:
 * the running gate keeps denying, alarming and answering /health until it is restored.
 */
export function watchdogHealthy(report: HealthReport): boolean {
  return report.failing.every((name) => name === "database_corrupt");
}

/** How long the database check waits for a write lock held by another process, ms. */
const LOCK_WAIT_MS = 200;

/**
 * Healthy = the gate can journal a decision now and is not stopping. "Can journal" is
 * proved by taking SQLite's write lock (`BEGIN IMMEDIATE`, then rolled back): it fails on
 * a closed, read-only or locked database without writing anything. A CLI command holding
 * the lock longer than 200 ms makes one check fail, which is what a decision would meet.
 */
export function checkHealth(db: Db, stopping: boolean): HealthReport {
  const failing: HealthCheckName[] = [];
  if (stopping) failing.push("stopping");
  if (!databaseWritable(db)) failing.push("database");
  return { ok: failing.length === 0, failing };
}

function databaseWritable(db: Db): boolean {
  if (!db.open || db.readonly) return false;
  const previous = db.pragma("busy_timeout", { simple: true });
  try {
    db.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
    db.exec("BEGIN IMMEDIATE");
    db.exec("ROLLBACK");
    return true;
  } catch {
    // The failure is the answer: the check's name is reported instead of the error.
    if (db.inTransaction) db.exec("ROLLBACK");
    return false;
  } finally {
    if (db.open) db.pragma(`busy_timeout = ${Number(previous)}`);
  }
}
