import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import type { Db } from "../../platform/database/database.js";
import {
  type AllowlistBodyKind,
  AllowlistChangedError,
  type AllowlistStaging,
  type AllowlistUpdateMeta,
} from "./allowlist-store.js";
import type { Credential } from "./credential.js";
import { encodeCredential } from "./credential-row.js";

/** The table `get` reads. */
export const CREDENTIAL_TABLE = "allowlist_credential";
export const META_TABLE = "allowlist_meta";
/** Prefix of the tables snapshots are staged in; the suffix is `<started epoch ms>_<random hex>`. */
export const SNAPSHOT_STAGING_PREFIX = "allowlist_next_";
/** A staged snapshot this old was left by a crash (a 10⁶ snapshot takes under a minute). */
const STALE_STAGING_MS = 6 * 3600_000;
/** Rows kept in memory before they are appended in one short transaction. */
const BATCH_ROWS = 4096;

/**
 * The shape of a staging table. A snapshot's staging table becomes the credential table at
 * commit, so this must stay the newest shape of `allowlist_credential` (a test checks).
 * `body` NULL marks a `del` while staged; the credential table never holds one.
 */
function stagingTableSql(name: string, temporary: boolean): string {
  return `CREATE ${temporary ? "TEMP " : ""}TABLE ${name} (id TEXT NOT NULL, body TEXT) STRICT`;
}

/**
 * Stages an update in an append-only table beside the allowlist in force, in short
 * transactions of BATCH_ROWS rows, and switches it in with one short transaction.
 *
 * Why not one transaction from the first record to the trailer: the daemon shares its
 * connection, so reads would see the half-built allowlist (a snapshot's "delete all"
 * would deny everyone for the minutes a download takes), other components' writes would
 * join, and roll back with, a refused body, and the file's write lock would stall the
 * journal. Appending without an index and indexing once at the end is also about four
 * times faster than inserting 10⁶ ids in random order into an index.
 */
abstract class SqliteStaging implements AllowlistStaging {
  protected readonly table: string;
  private readonly append: Database.Statement<[string, string | null]>;
  private readonly ids: string[] = [];
  private readonly bodies: (string | null)[] = [];
  private readonly base: { site: string | null; version: number | null };
  protected open = true;

  constructor(
    protected readonly db: Db,
    name: string,
    temporary: boolean,
  ) {
    this.table = name;
    db.exec(stagingTableSql(name, temporary));
    this.append = db.prepare(`INSERT INTO ${name} (id, body) VALUES (?, ?)`);
    this.base = readBase(db);
  }

  put(credential: Credential): void {
    this.stageRow(credential.id, encodeCredential(credential));
  }

  del(id: string): void {
    this.stageRow(id, null);
  }

  commit(meta: AllowlistUpdateMeta): number {
    if (!this.open) throw new Error("this staged update was already committed or discarded");
    this.flush();
    this.prepareSwitch();
    const count = this.db.transaction(() => {
      const found = readBase(this.db);
      if (found.site !== this.base.site || found.version !== this.base.version) {
        throw new AllowlistChangedError(this.base, found);
      }
      const count = this.switchIn();
      this.db
        .prepare(
          `UPDATE ${META_TABLE} SET site = ?, version = ?, count = ?, issued_at = ?, synced_at = ? WHERE singleton = 1`,
        )
        .run(meta.site, meta.version, count, meta.issuedAt, meta.syncedAt);
      return count;
    })();
    this.open = false;
    this.dropStaging();
    return count;
  }

  discard(): void {
    this.ids.length = 0;
    this.bodies.length = 0;
    if (!this.open) return;
    this.open = false;
    this.dropStaging();
  }

  private stageRow(id: string, body: string | null): void {
    if (!this.open) throw new Error("this staged update was already committed or discarded");
    this.ids.push(id);
    this.bodies.push(body);
    if (this.ids.length >= BATCH_ROWS) this.flush();
  }

  private flush(): void {
    if (this.ids.length === 0) return;
    const { ids, bodies, append } = this;
    // Synchronous, so no other work on the shared connection lands inside this transaction.
    this.db.transaction(() => {
      for (let i = 0; i < ids.length; i++) append.run(ids[i] as string, bodies[i] as string | null);
    })();
    ids.length = 0;
    bodies.length = 0;
  }

  /** Slow work on the staged rows, before the switching transaction (readers still see the old allowlist). */
  protected abstract prepareSwitch(): void;
  /** Inside the switching transaction: makes the staged rows the allowlist in force; returns its count. */
  protected abstract switchIn(): number;

  private dropStaging(): void {
    this.db.exec(`DROP TABLE IF EXISTS ${this.table}`);
  }
}

/** A snapshot: the staging table, deduplicated and indexed, replaces the credential table. */
class SqliteSnapshotStaging extends SqliteStaging {
  private sawDel = false;
  private puts = 0;
  private count = 0;

  override put(credential: Credential): void {
    super.put(credential);
    this.puts++;
  }

  override del(id: string): void {
    super.del(id);
    this.sawDel = true;
  }

  protected prepareSwitch(): void {
    if (!this.sawDel) {
      try {
        this.createIndex();
        this.count = this.puts;
        return;
      } catch (err) {
        if (!(err instanceof Database.SqliteError && err.code === "SQLITE_CONSTRAINT_UNIQUE")) throw err;
        // Rare: the snapshot put some id twice. The later put wins, as in a delta.
      }
    }
    this.db.exec(
      `DELETE FROM ${this.table} WHERE rowid NOT IN (SELECT max(rowid) FROM ${this.table} GROUP BY id);
       DELETE FROM ${this.table} WHERE body IS NULL;`,
    );
    this.createIndex();
    this.count = this.db.prepare(`SELECT count(*) FROM ${this.table}`).pluck().get() as number;
  }

  protected switchIn(): number {
    this.db.exec(`DROP TABLE ${CREDENTIAL_TABLE}; ALTER TABLE ${this.table} RENAME TO ${CREDENTIAL_TABLE};`);
    return this.count;
  }

  private createIndex(): void {
    // The index keeps this name after the rename; queries do not name it.
    this.db.exec(`CREATE UNIQUE INDEX ${this.table}_id ON ${this.table} (id)`);
  }
}

/** A delta: the last staged operation of each id is merged into the credential table. */
class SqliteDeltaStaging extends SqliteStaging {
  protected prepareSwitch(): void {}

  protected switchIn(): number {
    const last = `SELECT id, body FROM ${this.table} WHERE rowid IN (SELECT max(rowid) FROM ${this.table} GROUP BY id)`;
    const exists = `EXISTS (SELECT 1 FROM main.${CREDENTIAL_TABLE} c WHERE c.id = l.id)`;
    const count = (sql: string) => this.db.prepare(sql).pluck().get() as number;
    const before = count(`SELECT count FROM ${META_TABLE} WHERE singleton = 1`);
    const added = count(`SELECT count(*) FROM (${last}) l WHERE l.body IS NOT NULL AND NOT ${exists}`);
    const removed = count(`SELECT count(*) FROM (${last}) l WHERE l.body IS NULL AND ${exists}`);
    this.db.exec(
      `INSERT INTO main.${CREDENTIAL_TABLE} (id, body) SELECT id, body FROM (${last}) WHERE body IS NOT NULL
         ON CONFLICT (id) DO UPDATE SET body = excluded.body;
       DELETE FROM main.${CREDENTIAL_TABLE} WHERE id IN (SELECT id FROM (${last}) WHERE body IS NULL);`,
    );
    return before + added - removed;
  }
}

function readBase(db: Db): { site: string | null; version: number | null } {
  return db.prepare(`SELECT site, version FROM ${META_TABLE} WHERE singleton = 1`).get() as {
    site: string | null;
    version: number | null;
  };
}

/**
 * Starts staging an update. Snapshots are staged in the main database (the table is
 * renamed into place at commit); deltas in a temporary table of this connection.
 * Staging tables older than STALE_STAGING_MS, left by a crash, are dropped first.
 */
export function startSqliteStaging(db: Db, kind: AllowlistBodyKind, now: number): AllowlistStaging {
  dropStaleStaging(db, now);
  const suffix = `${Math.max(0, Math.floor(now))}_${randomBytes(4).toString("hex")}`;
  return kind === "snapshot"
    ? new SqliteSnapshotStaging(db, `${SNAPSHOT_STAGING_PREFIX}${suffix}`, false)
    : new SqliteDeltaStaging(db, `allowlist_delta_${suffix}`, true);
}

function dropStaleStaging(db: Db, now: number): void {
  const names = db
    .prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND substr(name, 1, ?) = ?")
    .pluck()
    .all(SNAPSHOT_STAGING_PREFIX.length, SNAPSHOT_STAGING_PREFIX) as string[];
  for (const name of names) {
    const started = Number(name.slice(SNAPSHOT_STAGING_PREFIX.length).split("_")[0]);
    if (Number.isFinite(started) && now - started > STALE_STAGING_MS) db.exec(`DROP TABLE IF EXISTS ${name}`);
  }
}
