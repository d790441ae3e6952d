import type { GateMode } from "../../config/schema.js";
import type { Clock } from "../../platform/clock.js";
import type { Db } from "../../platform/database/database.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Journal } from "../journal/journal.js";
import type { ModeRecord, ModeStore } from "../state/mode-store.js";

/** Who may change the mode; what the journal and the gate state show as its source. */
export type ModeSource = "cli" | "mqtt" | "fire-alarm" | "config";

/**
 * Changes the gate mode: persisted (ModeStore) and journaled (kind `mode`) in one
 * transaction, so the journal shows every change and a restart keeps the last one.
 * Setting the mode it already has changes nothing and journals nothing.
 */
export class GateModeControl {
  private readonly listeners = new Set<(record: ModeRecord) => void>();

  constructor(
    private readonly deps: {
      readonly db: Db;
      readonly mode: ModeStore;
      readonly journal: Journal;
      readonly gate: string;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {}

  current(): ModeRecord {
    return this.deps.mode.get();
  }

  /** Calls `listener` after each change, whoever made it; returns the unsubscribe. */
  onChange(listener: (record: ModeRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Adopts a mode another process (the CLI: `passgate mode set`) wrote to the database;
   * returns true when it changed. The daemon calls it about once a second.
   */
  adoptPersisted(): boolean {
    const row = this.deps.db.prepare("SELECT mode, since, source FROM gate_mode WHERE singleton = 1").get() as
      | ModeRecord
      | undefined;
    const now = this.deps.mode.get();
    if (row === undefined || (row.mode === now.mode && row.since === now.since)) return false;
    this.deps.mode.set(row);
    this.deps.logger.warn({ from: now.mode, mode: row.mode, source: row.source }, "gate mode changed");
    for (const l of this.listeners) l(row);
    return true;
  }

  /**
   * Sets `mode`; returns the record in force afterwards and whether it changed. `by`: the
   * roster member who asked (a signed request), and `user` the console's logged-in user it
   * named, journaled with the change.
   */
  set(
    mode: GateMode,
    source: ModeSource,
    by?: string,
    user?: string,
  ): { record: ModeRecord; changed: boolean } {
    const { db, journal, clock, gate } = this.deps;
    const before = this.deps.mode.get();
    if (before.mode === mode) return { record: before, changed: false };
    const record: ModeRecord = { mode, since: clock.now(), source };
    db.transaction(() => {
      this.deps.mode.set(record);
      journal.append({
        kind: "mode",
        at: record.since,
        gate,
        reader: null,
        direction: null,
        credential: null,
        person: null,
        step: null,
        result: null,
        reason: mode,
        data: {
          from: before.mode,
          source,
          ...(by === undefined ? {} : { by }),
          ...(user === undefined ? {} : { user }),
        },
      });
    })();
    this.deps.logger.warn({ from: before.mode, mode, source }, "gate mode changed");
    for (const l of this.listeners) l(record);
    return { record, changed: true };
  }
}
