import type { Statement } from "better-sqlite3";
import type { Direction } from "../../config/schema.js";
import type { Db } from "../../platform/database/database.js";
import type { LastPassage } from "../decide/decide.js";

/** The last passage of each person per zone: the state anti-passback decides on. */
export class PresenceStore {
  private readonly lastStmt: Statement<[string, string], { direction: Direction; at: number }>;
  private readonly recordStmt: Statement<[string, string, Direction, number]>;

  /** Expects `migrateGateState(db)` to have run. */
  constructor(db: Db) {
    this.lastStmt = db.prepare("SELECT direction, at FROM presence WHERE person = ? AND zone = ?");
    this.recordStmt = db.prepare(
      "INSERT INTO presence (person, zone, direction, at) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (person, zone) DO UPDATE SET direction = excluded.direction, at = excluded.at",
    );
  }

  last(person: string, zone: string): LastPassage | undefined {
    return this.lastStmt.get(person, zone);
  }

  record(person: string, zone: string, direction: Direction, at: number): void {
    this.recordStmt.run(person, zone, direction, at);
  }
}
