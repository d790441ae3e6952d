import type { Statement } from "better-sqlite3";
import type { Direction } from "../../config/schema.js";
import type { Db } from "../../platform/database/database.js";
import type { LastPassage } from "../decide/decide.js";

/** A passage the gate granted whose journal entry is committed and whose row is not yet written. */
interface Pending extends LastPassage {
  readonly person: string;
  readonly zone: string;
}

/**
 * Own grants held before they are written, at most: past this a grant writes them at once.
 * Written once a second in service (a few at a gate's pace), so this is only reached when
 * the event loop gets no turn for that long.
 */
export const PRESENCE_PENDING_LIMIT = 4096;

/**
 * The last passage of each person per zone: the state anti-passback decides on.
 *
 * A grant's passage is written twice over time, so that the decision's commit holds one
 * row: its journal entry (person, direction and, in `data.zone`, the zone it moved) is the
 * durable record, committed with the decision; the `presence` row follows within a second
 * (`flush`, from the storage's timer, and at a clean stop), many grants in one transaction.
 * Until then the passage is answered from memory. `presence_applied` holds the seq of the
 * newest journal entry whose passage the table has: after a crash, the start writes the
 * passages of the entries after it (`replayJournaled`). Passages from elsewhere (another
 * gate's, a rotation sensor's) are written at once (`record`). Where two disagree the newer
 * by time wins, as site-shared passages already do.
 */
export class PresenceStore {
  private readonly lastStmt: Statement<[string, string], { direction: Direction; at: number }>;
  private readonly recordStmt: Statement<[string, string, Direction, number]>;
  private readonly newerStmt: Statement<[string, string, Direction, number]>;
  private readonly appliedStmt: Statement<[number]>;
  private readonly pending = new Map<string, Pending>();
  /**
   * Table rows recently read or written (null: no row), so a person's next scan reads no
   * page: only this store writes the table. Bounded: past `ROWS_CACHED` the oldest go.
   */
  private readonly rows = new Map<string, LastPassage | null>();
  /** Seq of the newest journal entry handed to `recordJournaled`. */
  private pendingThrough = 0;

  /** Expects `migrateGateState(db)` to have run. */
  constructor(private readonly db: Db) {
    this.lastStmt = db.prepare("SELECT direction, at FROM presence WHERE person = ? AND zone = ?");
    this.recordStmt = db.prepare(
      "INSERT INTO presence (person, zone, direction, at) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (person, zone) DO UPDATE SET direction = excluded.direction, at = excluded.at",
    );
    this.newerStmt = db.prepare(
      "INSERT INTO presence (person, zone, direction, at) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (person, zone) DO UPDATE SET direction = excluded.direction, at = excluded.at " +
        "WHERE excluded.at >= presence.at",
    );
    this.appliedStmt = db.prepare(
      "INSERT INTO presence_applied (singleton, seq) VALUES (1, ?) " +
        "ON CONFLICT (singleton) DO UPDATE SET seq = max(seq, excluded.seq)",
    );
  }

  last(person: string, zone: string): LastPassage | undefined {
    const key = presenceKey(person, zone);
    let row = this.rows.get(key);
    if (row === undefined) {
      row = this.lastStmt.get(person, zone) ?? null;
      this.cache(key, row);
    }
    const mine = this.pending.size === 0 ? undefined : this.pending.get(key);
    if (mine === undefined) return row ?? undefined;
    return row !== null && row.at > mine.at ? row : { direction: mine.direction, at: mine.at };
  }

  /**
   * A passage from elsewhere (another gate, a rotation sensor): written now, in the caller's
   * transaction if any. (Should that transaction roll back, the row read back is the one of
   * the next read: the cache forgets it.)
   */
  record(person: string, zone: string, direction: Direction, at: number): void {
    const key = presenceKey(person, zone);
    this.rows.delete(key);
    this.recordStmt.run(person, zone, direction, at);
    if (!this.db.inTransaction) this.cache(key, { direction, at });
  }

  /**
   * A grant's passage, once the journal entry `seq` that records it (with `data.zone`) has
   * committed: answered from memory now, written by the next `flush`. Returns true when
   * `PRESENCE_PENDING_LIMIT` passages are held: the caller should `flush` now. (It never
   * writes itself: the grant is committed, and a failing write must not look like its failure.)
   */
  recordJournaled(person: string, zone: string, direction: Direction, at: number, seq: number): boolean {
    this.pending.set(presenceKey(person, zone), { person, zone, direction, at });
    this.pendingThrough = Math.max(this.pendingThrough, seq);
    return this.pending.size >= PRESENCE_PENDING_LIMIT;
  }

  /** Writes the passages held in memory, in one transaction; returns how many. */
  flush(): number {
    if (this.pending.size === 0 && this.pendingThrough === 0) return 0;
    const held = [...this.pending.values()];
    const through = this.pendingThrough;
    this.db.transaction(() => {
      for (const p of held) this.newerStmt.run(p.person, p.zone, p.direction, p.at);
      this.appliedStmt.run(through);
    })();
    // Only what was written leaves memory (nothing can be added meanwhile: all of it is synchronous).
    for (const p of held) {
      const key = presenceKey(p.person, p.zone);
      const row = this.rows.get(key);
      // The row now holds the newer of the two; one not cached is read when asked.
      if (row !== undefined && (row === null || row.at <= p.at))
        this.rows.set(key, { direction: p.direction, at: p.at });
    }
    this.pending.clear();
    this.pendingThrough = 0;
    return held.length;
  }

  private cache(key: string, row: LastPassage | null): void {
    if (this.rows.size >= ROWS_CACHED) {
      const oldest = this.rows.keys().next();
      if (!oldest.done) this.rows.delete(oldest.value);
    }
    this.rows.set(key, row);
  }

  /** Seq of the newest journal entry whose passage the table has; undefined before the first. */
  appliedThrough(): number | undefined {
    const row = this.db.prepare("SELECT seq FROM presence_applied WHERE singleton = 1").pluck().get() as
      | number
      | undefined;
    return row;
  }

  /**
   * At start: writes the passages of journal entries after `appliedThrough()` (granted
   * decisions carrying `data.zone`, oldest first), newer by time winning, and records
   * `headSeq` as applied. Returns how many it wrote.
   */
  replayJournaled(
    entries: Iterable<{
      readonly seq: number;
      readonly person: string;
      readonly zone: string;
      readonly direction: Direction;
      readonly at: number;
    }>,
    headSeq: number,
  ): number {
    let count = 0;
    this.rows.clear();
    this.db.transaction(() => {
      for (const e of entries) {
        this.newerStmt.run(e.person, e.zone, e.direction, e.at);
        count++;
      }
      this.appliedStmt.run(headSeq);
    })();
    return count;
  }
}

/** Table rows kept in memory: a few MB, the people of a busy day at a large gate. */
const ROWS_CACHED = 65_536;

function presenceKey(person: string, zone: string): string {
  return `${zone}\n${person}`;
}
