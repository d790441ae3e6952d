import type { Db } from "../../platform/database/database.js";

/** Prefix of allowlists no longer in force, waiting to be cleared: the one a snapshot replaced, or a discarded staging. */
export const RETIRED_PREFIX = "allowlist_old_";
/** Prefix of the tables snapshots are staged in; the suffix is `<started epoch ms>_<random hex>`. */
export const SNAPSHOT_STAGING_PREFIX = "allowlist_next_";
const STAGING_PREFIX = SNAPSHOT_STAGING_PREFIX;
/** What this file ever names in SQL: only tables passgate made, whatever else the file holds. */
const OURS = /^allowlist_(old|next)_\d+_[0-9a-f]+$/;
/** The id index of a credential or staging table: the migration's, or a staging table's. */
const OURS_INDEX = /^allowlist_(credential|next_\d+_[0-9a-f]+)_id$/;
/** A staged snapshot this old was left by a crash (a 10⁶ snapshot takes under a minute). */
const STALE_STAGING_MS = 6 * 3600_000;
/**
 * Rows deleted per step, in rowid order: once the table's id index is gone, that empties
 * whole leaf pages one after another, about 1 ms a step on the development machine.
 */
const CLEAR_ROWS = 500;
/** SQLite's page cache of the connection during a step, in KiB. */
const CLEAR_CACHE_KIB = 2048;

/**
 * Per connection, the staging tables an apply is filling now. The clearing runs beside an
 * apply (app/components/retired-allowlists.ts) and takes a staging table whose name is over
 * STALE_STAGING_MS old for one a crash left; a clock stepped forward by hours mid-apply (a
 * board that booted with no time and then got it) must not make it clear the apply's own.
 */
const stagingInUse = new WeakMap<Db, Set<string>>();

/** An apply on `db` began (`inUse`) or ended filling staging table `table`. */
export function markStagingInUse(db: Db, table: string, inUse: boolean): void {
  const tables = stagingInUse.get(db) ?? new Set<string>();
  if (inUse) tables.add(table);
  else tables.delete(table);
  stagingInUse.set(db, tables);
}

/** The retired name of a staging or credential table, from the staging table's unique suffix. */
export function retiredName(stagingTable: string): string {
  return `${RETIRED_PREFIX}${stagingTable.slice(STAGING_PREFIX.length)}`;
}

/**
 * One step of clearing allowlists that are not in force: tables retired by a switch or a
 * discard, and snapshot staging tables older than STALE_STAGING_MS (left by a process killed
 * mid-apply; a younger one may belong to an apply running in another process). A table's
 * first step drops its id index; each later one deletes up to CLEAR_ROWS rows, and the
 * last drops the empty table; each in one short IMMEDIATE transaction. Returns false when
 * nothing was left to clear.
 *
 * Why in steps rather than `DROP TABLE`: dropping 10⁶ rows frees every page of the table
 * in one statement, about 0.7 s during which the gate could not decide a scan. Why the
 * index first: deleting rows with the index in place removes each id at a random place in
 * it, so every step rewrites hundreds of index pages (gigabytes of WAL for 10⁶ rows, and
 * 15–30 ms a step); dropping the index is one statement over its ~4,000 pages (the longest
 * step, measured in docs/bench.md), after which the steps walk the table in order.
 */
export function clearRetiredStep(db: Db, now: number): boolean {
  // The pages a step frees are not read again: held to a small page cache, as while staging
  // (sqlite-allowlist-staging.ts), they do not fill the daemon's 32 MB of it meanwhile.
  const cacheBefore = db.pragma("cache_size", { simple: true }) as number;
  const bounded = cacheBefore > 0 || cacheBefore < -CLEAR_CACHE_KIB;
  if (bounded) db.pragma(`cache_size = -${CLEAR_CACHE_KIB}`);
  try {
    return clearOne(db, now);
  } finally {
    if (bounded) db.pragma(`cache_size = ${cacheBefore}`);
  }
}

function clearOne(db: Db, now: number): boolean {
  return db
    .transaction(() => {
      const table = nextToClear(db, now);
      if (table === undefined) return false;
      const index = db
        .prepare(
          "SELECT name FROM main.sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        )
        .pluck()
        .get(table) as string | undefined;
      if (index !== undefined && OURS_INDEX.test(index)) {
        db.exec(`DROP INDEX ${index}`);
        return true;
      }
      const deleted = db
        .prepare(
          `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} ORDER BY rowid LIMIT ${CLEAR_ROWS})`,
        )
        .run().changes;
      // Empty now: dropping it frees only a few pages.
      if (deleted < CLEAR_ROWS) db.exec(`DROP TABLE ${table}`);
      return true;
    })
    .immediate();
}

function nextToClear(db: Db, now: number): string | undefined {
  const names = db
    .prepare(
      `SELECT name FROM main.sqlite_master WHERE type = 'table'
         AND (substr(name, 1, ?) = ? OR substr(name, 1, ?) = ?) ORDER BY name`,
    )
    .pluck()
    .all(RETIRED_PREFIX.length, RETIRED_PREFIX, STAGING_PREFIX.length, STAGING_PREFIX) as string[];
  const inUse = stagingInUse.get(db);
  return names.find((name) => {
    if (!OURS.test(name) || inUse?.has(name) === true) return false;
    if (name.startsWith(RETIRED_PREFIX)) return true;
    const started = Number(name.slice(STAGING_PREFIX.length).split("_")[0]);
    return Number.isFinite(started) && now - started > STALE_STAGING_MS;
  });
}
