import { randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import type { Db } from "../../platform/database/database.js";
import {
  type AllowlistBodyKind,
  AllowlistChangedError,
  type AllowlistStaging,
  type AllowlistUpdateMeta,
} from "./allowlist-store.js";
import type { Credential } from "./credential.js";
import { encodeCredential } from "./credential-row.js";
import { markStagingInUse, retiredName, SNAPSHOT_STAGING_PREFIX } from "./sqlite-retired-allowlists.js";

export { SNAPSHOT_STAGING_PREFIX };

/** The table `get` reads. */
export const CREDENTIAL_TABLE = "allowlist_credential";
export const META_TABLE = "allowlist_meta";
/**
 * Rows kept in memory before they are written in one short transaction. Small, because the
 * transaction runs on the daemon's event loop and a scan arriving meanwhile waits for it to
 * end (the apply gives the loop a turn between batches).
 */
const BATCH_ROWS = 256;
/** An allowlist this small is dropped at once when replaced; a bigger one is retired and cleared in steps. */
const DROP_AT_ONCE_ROWS = 2048;
/**
 * SQLite's page cache of the connection while a snapshot is staged, in KiB (a negative
 * `cache_size`). The pages a snapshot writes are not read again, yet they would fill the
 * daemon's 32 MB cache (platform/database/database.ts) with anonymous memory a small board
 * needs; the decision path's reads come from the memory map, not this cache.
 */
const STAGING_CACHE_KIB = 2048;

/**
 * The shape of a staging table. A snapshot's staging table becomes the credential table at
 * commit, so this must stay the newest shape of `allowlist_credential` (a test checks).
 * `body` NULL marks a `del` in a delta's staging; the credential table never holds one.
 */
function stagingTableSql(name: string, temporary: boolean): string {
  return `CREATE ${temporary ? "TEMP " : ""}TABLE ${name} (id TEXT NOT NULL, body TEXT) STRICT`;
}

/**
 * Stages an update in a table beside the allowlist in force, in short transactions of
 * BATCH_ROWS rows, and switches it in with one short transaction.
 *
 * Why not one transaction from the first record to the trailer: the daemon shares its
 * connection, so reads would see the half-built allowlist (a snapshot's "delete all"
 * would deny everyone for the minutes a download takes), other components' writes would
 * join, and roll back with, a refused body, and the file's write lock would stall the
 * journal. Short transactions on the same connection let the journal's commits land
 * between them.
 */
abstract class SqliteStaging implements AllowlistStaging {
  private readonly ids: string[] = [];
  private readonly bodies: (string | null)[] = [];
  private readonly base: { site: string | null; version: number | null };
  protected open = true;

  constructor(
    protected readonly db: Db,
    protected readonly table: string,
  ) {
    this.base = readBase(db);
    markStagingInUse(db, table, true);
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
    markStagingInUse(this.db, this.table, false);
    this.afterCommit();
    return count;
  }

  discard(): void {
    this.ids.length = 0;
    this.bodies.length = 0;
    if (!this.open) return;
    this.open = false;
    markStagingInUse(this.db, this.table, false);
    this.putAside();
  }

  private stageRow(id: string, body: string | null): void {
    if (!this.open) throw new Error("this staged update was already committed or discarded");
    this.ids.push(id);
    this.bodies.push(body);
    if (this.ids.length >= BATCH_ROWS) this.flush();
  }

  private flush(): void {
    if (this.ids.length === 0) return;
    const { ids, bodies } = this;
    // Synchronous, so no other work on the shared connection lands inside this transaction.
    this.db.transaction(() => {
      for (let i = 0; i < ids.length; i++) this.write(ids[i] as string, bodies[i] as string | null);
    })();
    ids.length = 0;
    bodies.length = 0;
  }

  /** Inside a batch's transaction: one staged put (`body`) or del (`null`), in body order. */
  protected abstract write(id: string, body: string | null): void;
  /** Inside the switching transaction: makes the staged rows the allowlist in force; returns its count. */
  protected abstract switchIn(): number;
  /** After the switch committed. */
  protected abstract afterCommit(): void;
  /** Gets rid of what was staged, never in force (discard). */
  protected abstract putAside(): void;
}

/**
 * A snapshot: staged into a table of the credential table's shape, indexed from the start,
 * that becomes the credential table at the switch. The switch renames two tables (the one
 * in force is retired, the staged one takes its name) and so costs the same for 10 or 10⁶
 * credentials; the retired allowlist is then cleared in bounded steps (sqlite-retired-allowlists.ts).
 *
 * Why indexed from the start rather than appended and indexed at the end (faster when the
 * ids arrive in random order): building the index of 10⁶ ids is one statement of seconds
 * that nothing can interrupt, and the gate's scans would wait for it. A body in id order
 * (as the simulated registry sends it) puts each batch's index entries on a few pages.
 */
class SqliteSnapshotStaging extends SqliteStaging {
  private readonly insert: Database.Statement<[string, string]>;
  private readonly replace: Database.Statement<[string, string]>;
  private readonly remove: Database.Statement<[string]>;
  /** Rows in the staging table: kept exact as puts and dels arrive, so the switch need not count them. */
  private count = 0;

  /** The connection's cache_size before this staging lowered it; undefined when it did not. */
  private readonly cacheBefore: number | undefined;

  constructor(db: Db, table: string) {
    super(db, table);
    db.exec(`${stagingTableSql(table, false)}; CREATE UNIQUE INDEX ${table}_id ON ${table} (id);`);
    // Lowered only from above: with two snapshots staged at once on one connection, the
    // second leaves it to the first, and the cache comes back when the first ends.
    const before = db.pragma("cache_size", { simple: true }) as number;
    const bounded = before > 0 || before < -STAGING_CACHE_KIB;
    this.cacheBefore = bounded ? before : undefined;
    if (bounded) db.pragma(`cache_size = -${STAGING_CACHE_KIB}`);
    this.insert = db.prepare(`INSERT OR IGNORE INTO ${table} (id, body) VALUES (?, ?)`);
    this.replace = db.prepare(`UPDATE ${table} SET body = ? WHERE id = ?`);
    this.remove = db.prepare(`DELETE FROM ${table} WHERE id = ?`);
  }

  protected write(id: string, body: string | null): void {
    if (body === null) {
      this.count -= this.remove.run(id).changes;
    } else if (this.insert.run(id, body).changes === 1) {
      this.count++;
    } else {
      // Rare: the snapshot put this id before. The later put wins, as in a delta.
      this.replace.run(body, id);
    }
  }

  protected switchIn(): number {
    const replaced = this.db
      .prepare(`SELECT count FROM ${META_TABLE} WHERE singleton = 1`)
      .pluck()
      .get() as number;
    if (replaced <= DROP_AT_ONCE_ROWS) {
      this.db.exec(`DROP TABLE ${CREDENTIAL_TABLE}`);
    } else {
      this.db.exec(`ALTER TABLE ${CREDENTIAL_TABLE} RENAME TO ${retiredName(this.table)}`);
    }
    // The index keeps its staging name after the rename; queries do not name it.
    this.db.exec(`ALTER TABLE ${this.table} RENAME TO ${CREDENTIAL_TABLE}`);
    return this.count;
  }

  protected afterCommit(): void {
    this.restoreCache();
  }

  protected putAside(): void {
    this.restoreCache();
    if (this.count <= DROP_AT_ONCE_ROWS) {
      this.db.exec(`DROP TABLE IF EXISTS ${this.table}`);
    } else {
      // Dropping a big table is one long statement: retire it instead, to be cleared in steps.
      this.db.exec(`ALTER TABLE ${this.table} RENAME TO ${retiredName(this.table)}`);
    }
  }

  private restoreCache(): void {
    if (this.cacheBefore !== undefined) this.db.pragma(`cache_size = ${this.cacheBefore}`);
  }
}

/** A delta: appended to a temporary table; the last staged operation of each id is merged into the credential table. */
class SqliteDeltaStaging extends SqliteStaging {
  private readonly append: Database.Statement<[string, string | null]>;

  constructor(db: Db, table: string) {
    super(db, table);
    db.exec(stagingTableSql(table, true));
    this.append = db.prepare(`INSERT INTO ${table} (id, body) VALUES (?, ?)`);
  }

  protected write(id: string, body: string | null): void {
    this.append.run(id, body);
  }

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

  protected afterCommit(): void {
    this.putAside();
  }

  protected putAside(): void {
    this.db.exec(`DROP TABLE IF EXISTS temp.${this.table}`);
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
 */
export function startSqliteStaging(db: Db, kind: AllowlistBodyKind, now: number): AllowlistStaging {
  const suffix = `${Math.max(0, Math.floor(now))}_${randomBytes(4).toString("hex")}`;
  return kind === "snapshot"
    ? new SqliteSnapshotStaging(db, `${SNAPSHOT_STAGING_PREFIX}${suffix}`)
    : new SqliteDeltaStaging(db, `allowlist_delta_${suffix}`);
}
