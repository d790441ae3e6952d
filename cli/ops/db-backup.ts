import { existsSync, renameSync, rmSync } from "node:fs";
import { recordCopyOfRun } from "../../daemon/state/run-record.js";
import { type Db, openDatabase } from "../../platform/database/database.js";
import { createPrivateFile } from "../../platform/database/private-files.js";
import { type DbCheckReport, inspectDb } from "./db-inspect.js";

/** The target exists and `--force` was not given. */
export class BackupExistsError extends Error {
  readonly code = "BACKUP_EXISTS";
  constructor(file: string) {
    super(`${file} already exists — choose another file or pass --force to replace it`);
  }
}

/** The copy did not pass its checks; it was removed and nothing was replaced. */
export class BackupVerifyError extends Error {
  readonly code = "BACKUP_VERIFY_FAILED";
  constructor(reason: string) {
    super(`the backup copy failed its check (${reason}); nothing was written — run passgate db check`);
  }
}

/**
 * Copies the live database `source` to `file` with SQLite's online backup (better-sqlite3's
 * `db.backup`): a consistent snapshot while the daemon keeps writing. Every step copies the
 * whole database, so a writer cannot keep restarting a page-by-page copy. The copy is
 * written to `file.tmp`, turned into a single self-contained file (rollback journal mode,
 * no -wal beside it), checked (integrity_check and the journal's hash chain), then renamed
 * over `file`: a reader sees the old file or the whole new one.
 */
export async function backupDatabase(source: Db, file: string, force: boolean): Promise<DbCheckReport> {
  if (existsSync(file) && !force) throw new BackupExistsError(file);
  const tmp = `${file}.tmp`;
  rmSync(tmp, { force: true });
  try {
    // A copy of every TOTP secret: private (0600) from its first byte, whatever the umask.
    createPrivateFile(tmp);
    await source.backup(tmp, { progress: ({ totalPages }) => Math.max(totalPages, 100) });
    // The copy is a file being made, not the gate's database: it is opened directly, to
    // switch its journal mode and then to check it exactly as it was copied.
    const writable = openDatabase(tmp);
    try {
      writable.pragma("journal_mode = DELETE");
      // Restored later, the copy lacks the replay rows of every grant since: its gate must
      // start as after a power cut (docs/storage.md).
      recordCopyOfRun(writable);
    } finally {
      writable.close();
    }
    const copy = openDatabase(tmp, { readonly: true });
    let report: DbCheckReport;
    try {
      report = { ...inspectDb(copy, tmp), path: file };
    } finally {
      copy.close();
    }
    if (!report.integrity.ok) throw new BackupVerifyError(report.integrity.problems[0] ?? "integrity_check");
    if (!report.journal.ok) throw new BackupVerifyError(`journal: ${report.journal.message ?? "broken"}`);
    renameSync(tmp, file);
    return { ...report, sizes: { ...report.sizes, walBytes: 0 } };
  } catch (err) {
    for (const leftover of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(leftover, { force: true });
    throw err;
  }
}
