import { randomUUID } from "node:crypto";
import type { Db } from "../../platform/database/database.js";
import type { AlarmKind, AlarmView } from "../api.js";

/** Acknowledged alarms the snapshot still shows, newest first. */
export const ACKED_SHOWN = 50;
/** Acknowledged alarms older than this are deleted, ms (a month of history for the desk). */
const ACKED_KEPT_MS = 31 * 24 * 60 * 60_000;
/** Unacknowledged alarms kept at most: a flood of forced passages must not fill the disk. */
const OPEN_KEPT = 1_000;

interface AlarmRow {
  id: string;
  at: number;
  gate: string;
  kind: AlarmKind;
  subject: string | null;
  ackedBy: string | null;
  ackedAt: number | null;
}

function view(row: AlarmRow): AlarmView {
  return {
    id: row.id,
    at: row.at,
    gate: row.gate,
    kind: row.kind,
    ...(row.subject !== null && { subject: row.subject }),
    ...(row.ackedBy !== null &&
      row.ackedAt !== null && { acknowledged: { by: row.ackedBy, at: row.ackedAt } }),
  };
}

const COLUMNS = "id, at, gate, kind, subject, acked_by AS ackedBy, acked_at AS ackedAt";

/** The site's alarms in the console's database: they stay until a user acknowledges them, across restarts. */
export class AlarmStore {
  constructor(private readonly db: Db) {}

  /** Records a new alarm; returns it. */
  raise(at: number, gate: string, kind: AlarmKind, subject: string | undefined): AlarmView {
    const id = randomUUID();
    this.db
      .prepare("INSERT INTO console_alarm (id, at, gate, kind, subject) VALUES (?, ?, ?, ?, ?)")
      .run(id, at, gate, kind, subject ?? null);
    const open = this.db
      .prepare("SELECT count(*) FROM console_alarm WHERE acked_at IS NULL")
      .pluck()
      .get() as number;
    if (open > OPEN_KEPT)
      this.db
        .prepare(
          "DELETE FROM console_alarm WHERE id IN (SELECT id FROM console_alarm WHERE acked_at IS NULL ORDER BY at LIMIT ?)",
        )
        .run(open - OPEN_KEPT);
    return view({ id, at, gate, kind, subject: subject ?? null, ackedBy: null, ackedAt: null });
  }

  /** Whether an unacknowledged alarm of this gate, kind and subject is there already. */
  hasOpen(gate: string, kind: AlarmKind, subject: string | undefined): boolean {
    return (
      this.db
        .prepare(
          "SELECT 1 FROM console_alarm WHERE acked_at IS NULL AND gate = ? AND kind = ? AND subject IS ?",
        )
        .get(gate, kind, subject ?? null) !== undefined
    );
  }

  /** Acknowledges an alarm as `by`; the updated alarm, or undefined when unknown or acknowledged already. */
  acknowledge(id: string, by: string, at: number): AlarmView | undefined {
    const changed = this.db
      .prepare("UPDATE console_alarm SET acked_by = ?, acked_at = ? WHERE id = ? AND acked_at IS NULL")
      .run(by, at, id).changes;
    if (changed !== 1) return undefined;
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM console_alarm WHERE id = ?`).get(id) as AlarmRow;
    return view(row);
  }

  get(id: string): AlarmView | undefined {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM console_alarm WHERE id = ?`).get(id) as
      | AlarmRow
      | undefined;
    return row && view(row);
  }

  /** Unacknowledged first (newest first), then the last `ACKED_SHOWN` acknowledged. */
  list(): AlarmView[] {
    const open = this.db
      .prepare(`SELECT ${COLUMNS} FROM console_alarm WHERE acked_at IS NULL ORDER BY at DESC`)
      .all() as AlarmRow[];
    const acked = this.db
      .prepare(
        `SELECT ${COLUMNS} FROM console_alarm WHERE acked_at IS NOT NULL ORDER BY acked_at DESC LIMIT ?`,
      )
      .all(ACKED_SHOWN) as AlarmRow[];
    return [...open, ...acked].map(view);
  }

  prune(now: number): void {
    this.db
      .prepare("DELETE FROM console_alarm WHERE acked_at IS NOT NULL AND acked_at < ?")
      .run(now - ACKED_KEPT_MS);
  }
}
