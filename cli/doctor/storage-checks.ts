import { dirname } from "node:path";
import { DatabaseNeedsUpgradeError, openGateDatabase } from "../../app/gate-database.js";
import type { Config } from "../../config/schema.js";
import { isCorruptionError, quickCheck } from "../../platform/database/corruption.js";
import { type Db, SchemaTooNewError } from "../../platform/database/database.js";
import { type CheckResult, errorText, fail, ok, warn } from "./doctor-check.js";
import type { DoctorPorts } from "./doctor-ports.js";

/** Below this much free space at the database: warn. */
export const DISK_WARN_BYTES = 1024 ** 3;
/** Below this: fail (a full disk stops the journal, and then every scan is denied). */
export const DISK_FAIL_BYTES = 100 * 1024 ** 2;

/**
 * The database's folder is writable; the database, opened read-only (a doctor run never
 * changes it), has this passgate's schema, passes `quick_check` and is in WAL mode.
 */
export function checkDatabase(config: Config, ports: DoctorPorts): CheckResult[] {
  const path = config.storage.path;
  const dir = dirname(path);
  const results: CheckResult[] = [];
  if (ports.stat(dir) === undefined)
    return [fail("db-dir", `${dir} does not exist`, `mkdir -p ${dir} && chown passgate ${dir}`)];
  results.push(
    ports.access(dir, true)
      ? ok("db-dir", `${dir} is writable`)
      : fail(
          "db-dir",
          `${dir} is not writable by this user`,
          `chown passgate ${dir}, or run doctor as passgate`,
        ),
  );
  if (ports.stat(path) === undefined) {
    results.push(
      warn("db", `no database at ${path} yet`, "start the gate once: passgate run (or the service)"),
    );
    return results;
  }
  let db: Db;
  try {
    db = openGateDatabase(config.storage, "read");
  } catch (err) {
    results.push(openFailure(path, err));
    return results;
  }
  try {
    const problem = quickCheck(db);
    results.push(
      problem === undefined
        ? ok("db-integrity", "quick_check ok")
        : fail("db-integrity", `the database is damaged: quick_check: ${problem}`, restoreFix(path)),
    );
    const mode = String(db.pragma("journal_mode", { simple: true }));
    results.push(
      mode === "wal"
        ? ok("db-wal", "WAL mode")
        : warn(
            "db-wal",
            `journal mode ${mode}, not WAL`,
            "start the gate once: it switches the database to WAL",
          ),
    );
  } finally {
    db.close();
  }
  return results;
}

/** Why the database could not be opened for reading, as a finding with what to do. */
function openFailure(path: string, err: unknown): CheckResult {
  if (err instanceof DatabaseNeedsUpgradeError)
    return fail("db-schema", errorText(err), "passgate db upgrade (or start the gate once)");
  if (err instanceof SchemaTooNewError)
    return fail("db-schema", errorText(err), "install the passgate that wrote it, or restore a backup");
  if (isCorruptionError(err))
    return fail("db-integrity", `the database at ${path} is damaged: ${errorText(err)}`, restoreFix(path));
  return fail("db-integrity", `cannot open ${path}: ${errorText(err)}`, "check its owner and mode");
}

/**
 * How to put a damaged database back, in one line (docs/operations.md "Backup and restore"
 * has it step by step). The damaged file is kept aside, not deleted: it is evidence, and
 * its journal entries since the backup may still be read from it.
 */
export function restoreFix(path: string): string {
  return (
    `restore the last backup: systemctl stop passgate; mv ${path} ${path}.damaged (and its -wal, -shm the same way); ` +
    `install -o passgate -g passgate -m 0600 <backup.db> ${path}; passgate db check; systemctl start passgate; ` +
    'passgate sync now (docs/operations.md, "A damaged database")'
  );
}

/** Free space on the filesystem of the database. */
export function checkDisk(config: Config, ports: DoctorPorts): CheckResult {
  const dir = dirname(config.storage.path);
  let free: number;
  try {
    free = ports.freeBytes(ports.stat(dir) === undefined ? "/" : dir);
  } catch (err) {
    return warn("disk", `cannot tell free space at ${dir}: ${errorText(err)}`, "check with df -h");
  }
  const text = `${(free / 1024 ** 3).toFixed(2)} GB free at ${dir}`;
  if (free < DISK_FAIL_BYTES)
    return fail("disk", text, "free space now: old logs, backups (df -h, du -sh /var/*)");
  if (free < DISK_WARN_BYTES) return warn("disk", text, "free some space soon (df -h)");
  return ok("disk", text);
}
