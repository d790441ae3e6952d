import type { Db } from "../../platform/database/database.js";

/** Prefix of allowlists no longer in force, waiting to be cleared: the one a snapshot replaced, or a discarded staging. */
export const RETIRED_PREFIX = "allowlist_old_";
/** Prefix of the tables snapshots are staged in; the suffix is `<started epoch ms>_<random hex>`. */
export const SNAPSHOT_STAGING_PREFIX = "allowlist_next_";
const STAGING_PREFIX = SNAPSHOT_STAGING_PREFIX;
/** What this file ever names in SQL: only tables passgate made, whatever else the file holds. */
const OURS = /^allowlist_(old|next)_\d+_[0-9a-f]+$/;
/** A staged snapshot this old was left by a crash (a 10⁶ snapshot takes under a minute). */
const STALE_STAGING_MS = 6 * 3600_000;
/**
 * Rows deleted per step. Each row also leaves the id index, at a random place, so a step
 * costs about 1–2 ms: short enough for the scans waiting behind it.
 */
const CLEAR_ROWS = 500;

/** The retired name of a staging or credential table, from the staging table's unique suffix. */
export function retiredName(stagingTable: string): string {
  return `${RETIRED_PREFIX}${stagingTable.slice(STAGING_PREFIX.length)}`;
}

/**
 * One bounded step of clearing allowlists that are not in force: tables retired by a
 * switch or a discard, and snapshot staging tables older than STALE_STAGING_MS (left by a
 * process killed mid-apply; a younger one may belong to an apply running in another
 * process). Deletes up to CLEAR_ROWS rows of one such table, or drops it once empty, in
 * one short IMMEDIATE transaction. Returns false when nothing was left to clear.
 *
 * Why in steps rather than `DROP TABLE`: dropping 10⁶ rows frees every page of the table
 * in one statement, about 0.7 s during which the gate could not decide a scan.
 */
export function clearRetiredStep(db: Db, now: number): boolean {
  return db
    .transaction(() => {
      const table = nextToClear(db, now);
      if (table === undefined) return false;
      const deleted = db
        .prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} LIMIT ${CLEAR_ROWS})`)
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
  return names.find((name) => {
    if (!OURS.test(name)) return false;
    if (name.startsWith(RETIRED_PREFIX)) return true;
    const started = Number(name.slice(STAGING_PREFIX.length).split("_")[0]);
    return Number.isFinite(started) && now - started > STALE_STAGING_MS;
  });
}
