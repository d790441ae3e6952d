import { statSync } from "node:fs";
import { Journal } from "../../daemon/journal/journal.js";
import type { Db } from "../../platform/database/database.js";

/** What `db check` and `db backup` report about one database file. */
export interface DbCheckReport {
  readonly path: string;
  /** `PRAGMA integrity_check` (or `quick_check`) said "ok". */
  readonly integrity: { readonly ok: boolean; readonly problems: readonly string[] };
  readonly journal: {
    readonly ok: boolean;
    readonly entries: number;
    readonly headSeq: number | null;
    readonly firstBadSeq: number | null;
    readonly message: string | null;
  };
  /** Schema version of each component (allowlist, journal, gate-state, sync…). */
  readonly schemaVersions: Readonly<Record<string, number>>;
  readonly journalMode: string;
  readonly sizes: {
    readonly fileBytes: number;
    readonly walBytes: number;
    readonly pageSize: number;
    readonly pages: number;
    readonly freePages: number;
  };
}

/** Problems `integrity_check` lists at most; the first few say enough. */
const MAX_PROBLEMS = 20;

/**
 * Checks a database: `integrity_check` (every page; `quick` = `quick_check`, which skips
 * index contents), the journal's hash chain, schema versions, sizes and the WAL's size.
 * Reads only.
 */
export function inspectDb(db: Db, path: string, options: { quick?: boolean } = {}): DbCheckReport {
  const pragma = options.quick === true ? "quick_check" : "integrity_check";
  const lines = db.pragma(`${pragma}(${MAX_PROBLEMS})`, { simple: false }) as Record<string, string>[];
  const problems = lines.map((row) => Object.values(row)[0] ?? "").filter((line) => line !== "ok");
  const journal = journalReport(db);
  const versions = hasTable(db, "schema_version")
    ? (db.prepare("SELECT component, version FROM schema_version ORDER BY component").all() as {
        component: string;
        version: number;
      }[])
    : [];
  return {
    path,
    integrity: { ok: problems.length === 0, problems },
    journal,
    schemaVersions: Object.fromEntries(versions.map((v) => [v.component, v.version])),
    journalMode: String(db.pragma("journal_mode", { simple: true })),
    sizes: {
      fileBytes: fileSize(path),
      walBytes: fileSize(`${path}-wal`),
      pageSize: Number(db.pragma("page_size", { simple: true })),
      pages: Number(db.pragma("page_count", { simple: true })),
      freePages: Number(db.pragma("freelist_count", { simple: true })),
    },
  };
}

function journalReport(db: Db): DbCheckReport["journal"] {
  if (!hasTable(db, "journal"))
    return { ok: true, entries: 0, headSeq: null, firstBadSeq: null, message: "no journal yet" };
  const report = Journal.open(db).verify();
  return {
    ok: report.ok,
    entries: report.entries,
    headSeq: report.head?.seq ?? null,
    firstBadSeq: report.firstBadSeq ?? null,
    message: report.ok ? null : (report.message ?? "broken"),
  };
}

function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
}
