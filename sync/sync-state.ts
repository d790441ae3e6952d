import type { Statement } from "better-sqlite3";
import { type ComponentSchema, type Db, type Migration, migrate } from "../platform/database/database.js";

/** Schema component name in `schema_version`. */
export const SYNC_COMPONENT = "sync";

/**
 * One row of what the sync loop did, so `passgate sync status` (another process) can show
 * it, and the upload cursor: events up to `upload_seq` were acknowledged by the registry.
 * The backlog is the journal after that seq; it lives in the journal itself, so it survives
 * restarts and is bounded only by the disk.
 */
const SYNC_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE sync_state (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        registry TEXT,
        last_attempt_at INTEGER,
        last_success_at INTEGER,
        last_error TEXT,
        last_error_code TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        stopped_for TEXT,
        refused TEXT NOT NULL DEFAULT '{}',
        upload_seq INTEGER NOT NULL DEFAULT 0,
        uploaded_at INTEGER,
        upload_error TEXT
      ) STRICT;
      INSERT INTO sync_state (singleton) VALUES (1);
    `,
  },
];

/** What `passgate sync status` shows besides the allowlist's own stats. Times are epoch ms. */
export interface SyncStatus {
  readonly registry: string | null;
  readonly lastAttemptAt: number | null;
  /** Last pull that ended in a committed body or a 304. */
  readonly lastSuccessAt: number | null;
  readonly lastError: string | null;
  /** `unauthorized`, `retry`, `failed` or an apply refusal reason (e.g. `bad_signature`). */
  readonly lastErrorCode: string | null;
  /** Failed pulls in a row. */
  readonly failures: number;
  readonly nextAttemptAt: number | null;
  /**
   * Set after a 401/403: a fingerprint of the registry URL and token the registry refused.
   * The loop does not retry while the config still has that fingerprint.
   */
  readonly stoppedFor: string | null;
  /** Refused bodies by reason, since the database was created. */
  readonly refused: Readonly<Record<string, number>>;
  /** Journal seq up to which the registry acknowledged the events. */
  readonly uploadSeq: number;
  /** When the registry last acknowledged events; null when it never has. */
  readonly uploadedAt: number | null;
  readonly uploadError: string | null;
}

interface Row {
  registry: string | null;
  last_attempt_at: number | null;
  last_success_at: number | null;
  last_error: string | null;
  last_error_code: string | null;
  failures: number;
  next_attempt_at: number | null;
  stopped_for: string | null;
  refused: string;
  upload_seq: number;
  uploaded_at: number | null;
  upload_error: string | null;
}

/** The sync loop's table, as the gate database opens it (app/gate-database.ts). */
export const SYNC_SCHEMA: ComponentSchema = { component: SYNC_COMPONENT, migrations: SYNC_MIGRATIONS };

/** Reads and writes the `sync_state` row. Create with `SyncStateStore.open(db)`. */
export class SyncStateStore {
  private readonly read: Statement<[], Row>;

  private constructor(private readonly db: Db) {
    this.read = db.prepare<[], Row>("SELECT * FROM sync_state WHERE singleton = 1");
  }

  /** Migrates the table (on a read-only database, only reads it: it must exist). */
  static open(db: Db): SyncStateStore {
    if (!db.readonly) migrate(db, SYNC_COMPONENT, SYNC_MIGRATIONS);
    return new SyncStateStore(db);
  }

  /** True when the sync table exists (a read-only CLI on a database no daemon has synced). */
  static exists(db: Db): boolean {
    return (
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_state'").get() !==
      undefined
    );
  }

  get(): SyncStatus {
    const row = this.read.get();
    if (row === undefined) throw new Error("sync_state row is missing");
    return {
      registry: row.registry,
      lastAttemptAt: row.last_attempt_at,
      lastSuccessAt: row.last_success_at,
      lastError: row.last_error,
      lastErrorCode: row.last_error_code,
      failures: row.failures,
      nextAttemptAt: row.next_attempt_at,
      stoppedFor: row.stopped_for,
      refused: JSON.parse(row.refused) as Record<string, number>,
      uploadSeq: row.upload_seq,
      uploadedAt: row.uploaded_at,
      uploadError: row.upload_error,
    };
  }

  /** A pull ended well (committed body or 304). */
  recordSuccess(registry: string, at: number): void {
    this.db
      .prepare(
        `UPDATE sync_state SET registry = ?, last_attempt_at = ?, last_success_at = ?, last_error = NULL,
           last_error_code = NULL, failures = 0, stopped_for = NULL WHERE singleton = 1`,
      )
      .run(registry, at, at);
  }

  /** A pull failed; `refusal` names an apply refusal to count. */
  recordFailure(
    registry: string,
    at: number,
    failure: { code: string; message: string; refusal?: string; stoppedFor?: string },
  ): void {
    this.db.transaction(() => {
      const refused = this.get().refused;
      const counts =
        failure.refusal === undefined
          ? refused
          : { ...refused, [failure.refusal]: (refused[failure.refusal] ?? 0) + 1 };
      this.db
        .prepare(
          `UPDATE sync_state SET registry = ?, last_attempt_at = ?, last_error = ?, last_error_code = ?,
             failures = failures + 1, stopped_for = ?, refused = ? WHERE singleton = 1`,
        )
        .run(registry, at, failure.message, failure.code, failure.stoppedFor ?? null, JSON.stringify(counts));
    })();
  }

  setNextAttempt(at: number | null): void {
    this.db.prepare("UPDATE sync_state SET next_attempt_at = ? WHERE singleton = 1").run(at);
  }

  /**
   * Moves the upload cursor to `seq` after the registry's 200. Never backwards: a CLI
   * `sync now` and the daemon may both upload, and the later, smaller ack must not undo.
   */
  ackUpload(seq: number, at: number): void {
    this.db
      .prepare(
        "UPDATE sync_state SET upload_seq = max(upload_seq, ?), uploaded_at = ?, upload_error = NULL WHERE singleton = 1",
      )
      .run(seq, at);
  }

  /**
   * Moves the upload cursor over entries the events API does not carry (alarms, mode
   * changes) without anything being sent: `uploaded_at` stays the time of the last upload
   * the registry acknowledged, null (`never`) when none ever was.
   */
  passOver(seq: number): void {
    this.db.prepare("UPDATE sync_state SET upload_seq = max(upload_seq, ?) WHERE singleton = 1").run(seq);
  }

  recordUploadError(message: string): void {
    this.db.prepare("UPDATE sync_state SET upload_error = ? WHERE singleton = 1").run(message);
  }
}
