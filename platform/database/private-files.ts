import { chmodSync, closeSync, openSync, statSync } from "node:fs";

/** The files SQLite keeps for a database in WAL mode. */
export function databaseFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

/**
 * Makes the database at `path` private to its owner (0600) before SQLite opens it: it holds
 * every TOTP secret of the allowlist. SQLite creates a database with 0644 narrowed by the
 * umask (0644 under the usual 022), and gives its -wal and -shm files the database file's
 * own mode, so creating the file first, empty and 0600, makes all three private whatever
 * the umask. Files left readable by an older passgate are narrowed here too, when this
 * user owns them; otherwise `passgate doctor` reports them.
 */
export function keepDatabasePrivate(path: string): void {
  if (path === ":memory:" || path === "") return;
  try {
    createPrivateFile(path);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") return; // SQLite's own open reports it
  }
  for (const file of databaseFiles(path)) {
    try {
      const { mode } = statSync(file);
      if ((mode & 0o077) !== 0) chmodSync(file, mode & 0o700);
    } catch {
      // Missing, or another user's file: nothing to narrow here.
    }
  }
}

/** Creates `file` empty with mode 0600 (failing if it exists), for SQLite to fill. */
export function createPrivateFile(file: string): void {
  closeSync(openSync(file, "wx", 0o600));
}
