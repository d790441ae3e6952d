import type { Db } from "../../platform/database/database.js";
import type { LaneDecision } from "../api.js";

/** Decisions are kept this long for the person search, ms. */
export const DECISIONS_KEPT_MS = 2 * 24 * 60 * 60_000;
/** …and at most this many: a busy campus has some 30,000 passes a day. */
const DECISIONS_KEPT = 200_000;
/** Answers of one search, newest first. */
export const SEARCH_LIMIT = 100;

interface DecisionRow {
  id: string;
  at: number;
  gate: string;
  reader: string;
  direction: "in" | "out";
  result: "granted" | "denied";
  reason: string;
  credential: string | null;
  person: string | null;
  name: string | null;
  passage: "passed" | "not_passed" | null;
}

function decision(row: DecisionRow): LaneDecision {
  return {
    id: row.id,
    at: row.at,
    gate: row.gate,
    reader: row.reader,
    direction: row.direction,
    result: row.result,
    reason: row.reason,
    ...(row.credential !== null && { credential: row.credential }),
    ...(row.person !== null && { person: row.person }),
    ...(row.name !== null && { name: row.name }),
    ...(row.passage !== null && { passage: row.passage }),
  };
}

const COLUMNS = "id, at, gate, reader, direction, result, reason, credential, person, name, passage";

/** Folds a name for a search that ignores case in every script (SQLite's LIKE folds ASCII only). */
export function foldName(text: string): string {
  return text.normalize("NFKC").toLocaleLowerCase("ru");
}

/** The last two days of the site's decisions, for the person search and the lanes after a restart. */
export class DecisionStore {
  constructor(private readonly db: Db) {}

  add(d: LaneDecision): void {
    this.db
      .prepare(
        `INSERT INTO console_decision (${COLUMNS}, name_folded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(
        d.id,
        d.at,
        d.gate,
        d.reader,
        d.direction,
        d.result,
        d.reason,
        d.credential ?? null,
        d.person ?? null,
        d.name ?? null,
        d.passage ?? null,
        d.name === undefined ? null : foldName(d.name),
      );
  }

  setPassage(id: string, passage: "passed" | "not_passed"): void {
    this.db.prepare("UPDATE console_decision SET passage = ? WHERE id = ?").run(passage, id);
  }

  /** The newest `limit` decisions since `since`, newest first. */
  recent(since: number, limit: number): LaneDecision[] {
    return (
      this.db
        .prepare(`SELECT ${COLUMNS} FROM console_decision WHERE at >= ? ORDER BY at DESC LIMIT ?`)
        .all(since, limit) as DecisionRow[]
    ).map(decision);
  }

  /**
   * Decisions since `since` whose person id or credential id is `query`, or whose display
   * name contains it (case folded), newest first, at most `SEARCH_LIMIT`.
   */
  search(query: string, since: number): LaneDecision[] {
    const pattern = `%${foldName(query).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return (
      this.db
        .prepare(
          `SELECT ${COLUMNS} FROM console_decision
           WHERE at >= ? AND (person = ? OR credential = ? OR name_folded LIKE ? ESCAPE '\\')
           ORDER BY at DESC LIMIT ?`,
        )
        .all(since, query, query, pattern, SEARCH_LIMIT) as DecisionRow[]
    ).map(decision);
  }

  /** Deletes what is older than two days, and the oldest beyond the row bound. */
  prune(now: number): void {
    this.db.prepare("DELETE FROM console_decision WHERE at < ?").run(now - DECISIONS_KEPT_MS);
    const count = this.db.prepare("SELECT count(*) FROM console_decision").pluck().get() as number;
    if (count > DECISIONS_KEPT)
      this.db
        .prepare(
          "DELETE FROM console_decision WHERE id IN (SELECT id FROM console_decision ORDER BY at LIMIT ?)",
        )
        .run(count - DECISIONS_KEPT);
  }
}
