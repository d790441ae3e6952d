import type { GateMode } from "../../config/schema.js";
import type { Db } from "../../platform/database/database.js";

export interface ModeRecord {
  readonly mode: GateMode;
  /** Epoch ms. */
  readonly since: number;
  /** Who set it: "config", "cli", "mqtt", "fire-alarm"… */
  readonly source: string;
}

/**
 * The gate mode (normal / lockdown / free passage), persisted so that a lockdown or a
 * fire-alarm free passage survives a restart. Reads come from memory: the mode is on
 * the hot path and only this process changes it.
 */
export class ModeStore {
  private current: ModeRecord;

  private constructor(
    private readonly db: Db,
    initial: ModeRecord,
  ) {
    this.current = initial;
  }

  /**
   * Loads the persisted mode, or persists `fallback` (the config's mode) when there is none;
   * on a read-only connection `fallback` is only returned.
   */
  static load(db: Db, fallback: ModeRecord): ModeStore {
    const row = db.prepare("SELECT mode, since, source FROM gate_mode WHERE singleton = 1").get() as
      | ModeRecord
      | undefined;
    const store = new ModeStore(db, row ?? fallback);
    if (row === undefined && !db.readonly) store.set(fallback);
    return store;
  }

  get(): ModeRecord {
    return this.current;
  }

  set(record: ModeRecord): void {
    this.db
      .prepare(
        "INSERT INTO gate_mode (singleton, mode, since, source) VALUES (1, ?, ?, ?) " +
          "ON CONFLICT (singleton) DO UPDATE SET mode = excluded.mode, since = excluded.since, source = excluded.source",
      )
      .run(record.mode, record.since, record.source);
    this.current = record;
  }
}
