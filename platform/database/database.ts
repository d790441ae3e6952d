import Database from "better-sqlite3";
import { keepDatabasePrivate } from "./private-files.js";

export type Db = Database.Database;

/** How hard SQLite syncs a commit to disk. */
export type SyncMode = "normal" | "full";

/**
 * What a writer's WAL is cut back to (SQLite's `journal_size_limit`), in bytes. SQLite
 * reuses the WAL file from its start after a complete checkpoint and otherwise never
 * shrinks it: one big import or a run of crashes under load left a 159 MB WAL beside an
 * 18 MB database for good. With the limit, the first commit after the log restarts
 * truncates the file to this size; the daemon's checkpointer also empties a WAL that grows
 * past it (wal-checkpointer.ts), as a busy gate's does (about 9 KB per decision).
 */
export const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * Opens (creating if needed) the gate's SQLite database in WAL mode.
 *
 * `synchronous`: `normal` (default) survives a crash of the process, and of the
 * machine up to the last checkpoint; `full` also fsyncs every commit, which survives
 * a power cut at the cost of one fsync per decision. See docs/storage.md. A connection
 * opened for writing keeps its WAL to `WAL_SIZE_LIMIT_BYTES` once checkpointed.
 * The database and its -wal and -shm files are private to their owner (0600).
 */
export function openDatabase(path: string, options: { synchronous?: SyncMode; readonly?: boolean } = {}): Db {
  if (!options.readonly) keepDatabasePrivate(path);
  const db = new Database(path, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
  });
  if (!options.readonly) {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  }
  db.pragma("foreign_keys = ON");
  // A 10⁶-credential allowlist is ~230 MB: memory-mapped reads and a 32 MB page cache
  // take about a third off a cold credential lookup on the decision path.
  db.pragma("mmap_size = 268435456");
  db.pragma("cache_size = -32000");
  // A CLI command reading while the daemon writes waits briefly instead of failing.
  db.pragma("busy_timeout = 5000");
  return db;
}

/** One schema step of a component. `version` starts at 1 and grows by one. */
export interface Migration {
  readonly version: number;
  readonly up: string;
}

/** A component's tables: its name in `schema_version` and the steps that build them. */
export interface ComponentSchema {
  readonly component: string;
  readonly migrations: readonly Migration[];
}

/** The newest version `schema` knows. */
export function newestVersion(schema: ComponentSchema): number {
  return schema.migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

/**
 * The version of `component` recorded in `db`, undefined when the database has none of
 * its tables yet. Reads only: safe on a read-only connection.
 */
export function schemaVersion(db: Db, component: string): number | undefined {
  const hasVersions = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    .pluck()
    .get();
  if (hasVersions === undefined) return undefined;
  return db.prepare("SELECT version FROM schema_version WHERE component = ?").pluck().get(component) as
    | number
    | undefined;
}

/**
 * Brings one component's tables to the newest version, each step in its own
 * transaction. Components version their schema independently, so the allowlist,
 * journal and gate state can evolve without touching each other.
 */
export function migrate(db: Db, component: string, migrations: readonly Migration[]): number {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL) STRICT",
  );
  const row = db.prepare("SELECT version FROM schema_version WHERE component = ?").get(component) as
    | { version: number }
    | undefined;
  let current = row?.version ?? 0;
  const newest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > newest) {
    throw new SchemaTooNewError(component, current, newest);
  }
  const setVersion = db.prepare(
    "INSERT INTO schema_version (component, version) VALUES (?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version",
  );
  for (const step of [...migrations].sort((a, b) => a.version - b.version)) {
    if (step.version <= current) continue;
    db.transaction(() => {
      db.exec(step.up);
      setVersion.run(component, step.version);
    })();
    current = step.version;
  }
  return current;
}

export class SchemaTooNewError extends Error {
  readonly code = "SCHEMA_TOO_NEW";
  constructor(component: string, found: number, known: number) {
    super(
      `database schema of ${component} is version ${found}, this passgate knows up to ${known}: upgrade passgate or use another storage.path`,
    );
  }
}
