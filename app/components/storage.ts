import type { Config } from "../../config/schema.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import { Journal } from "../../daemon/journal/journal.js";
import { ModeStore } from "../../daemon/state/mode-store.js";
import { PresenceStore } from "../../daemon/state/presence-store.js";
import { ReplayGuard } from "../../daemon/state/replay-guard.js";
import {
  readPreviousRun,
  recordCleanStop,
  recordRunStart,
  replayLossBound,
} from "../../daemon/state/run-record.js";
import { currentBootId } from "../../platform/boot-id.js";
import type { Clock } from "../../platform/clock.js";
import type { Db } from "../../platform/database/database.js";
import { WalCheckpointer } from "../../platform/database/wal-checkpointer.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Component } from "../component.js";
import { openGateDatabase } from "../gate-database.js";
import { checkHealth, type HealthReport } from "../http/health.js";

/** The gate's database and the one instance of each store on it, shared by every part. */
export interface GateStores {
  readonly db: Db;
  readonly allowlist: SqliteAllowlistStore;
  readonly journal: Journal;
  readonly replay: ReplayGuard;
  readonly mode: ModeStore;
  readonly presence: PresenceStore;
}

/**
 * Owns the gate's SQLite database (docs/storage.md): opens it for writing (app/gate-database.ts
 * brings every component's tables to the current schema), and
 * holds the allowlist store, the journal, the replay guard, the mode store and the presence
 * store (one of each: the gate, passage sensors and site sharing all read and write the
 * same ones), with the WAL checkpointer thread beside it. First to start and last to stop:
 * every other part journals or reads state until it has stopped, and only then does the
 * final `wal_checkpoint(TRUNCATE)` fold the WAL into the database file before it closes.
 * It also records how each run ends (daemon/state/run-record.ts): after a run that did not
 * stop cleanly on an earlier boot of the machine, tokens that could have verified before
 * this start count as used, as their replay rows may have been lost with the power.
 */
export class StorageComponent implements Component {
  readonly name = "storage";
  private opened: GateStores | undefined;
  private checkpointer: WalCheckpointer | undefined;

  constructor(
    private readonly config: Config,
    private readonly deps: {
      readonly clock: Clock;
      readonly logger: Logger;
      /** This boot of the machine (default: platform/boot-id.ts); tests pass another to play a reboot. */
      readonly bootId?: (() => string | null) | undefined;
    },
  ) {}

  /** The stores; from `start()` on (still readable after the stop: the database is then closed). */
  get stores(): GateStores {
    if (this.opened === undefined) throw new Error("storage is not started");
    return this.opened;
  }

  /** Healthy = not `stopping` and the database takes a write lock now (http/health.ts). */
  health(stopping: boolean): HealthReport {
    if (this.opened === undefined)
      return { ok: false, failing: stopping ? ["stopping", "database"] : ["database"] };
    return checkHealth(this.opened.db, stopping);
  }

  async start(): Promise<void> {
    const { storage, policy } = this.config;
    // Every component's tables at this passgate's schema, as any writer opens the file.
    const db = openGateDatabase(storage, "write");
    const checkpointer = new WalCheckpointer(storage.path, (message) =>
      this.deps.logger.error({ component: "storage", err: { message } }, "WAL checkpoint failed"),
    );
    try {
      // Checkpoints run on the checkpointer's thread, never in a decision's commit.
      db.pragma("wal_autocheckpoint = 0");
      checkpointer.start();
      const allowlist = SqliteAllowlistStore.open(db);
      const journal = Journal.open(db);
      const mode = ModeStore.load(db, { mode: policy.mode, since: this.deps.clock.now(), source: "config" });
      const replay = new ReplayGuard(db);
      replay.assumeLostUpTo(this.recordStart(db, journal));
      this.opened = {
        db,
        allowlist,
        journal,
        replay,
        mode,
        presence: new PresenceStore(db),
      };
      this.checkpointer = checkpointer;
    } catch (err) {
      db.close();
      await checkpointer.stop();
      throw err;
    }
  }

  /**
   * Reads how the previous run ended, records this one as running (on disk before any
   * decision) and returns up to when grants may have been lost (undefined: none).
   */
  private recordStart(db: Db, journal: Journal): number | undefined {
    const now = this.deps.clock.now();
    const bootId = (this.deps.bootId ?? currentBootId)();
    const previous = readPreviousRun(db);
    const lostUpTo = replayLossBound(previous, {
      bootId,
      now,
      lastJournalAt: journal.tail(1)[0]?.at,
    });
    recordRunStart(db, { bootId, startedAt: now, lostUpTo });
    const log = this.deps.logger.child({ component: "storage" });
    if (previous !== undefined && !previous.clean && previous.bootId !== null && previous.bootId === bootId) {
      log.warn(
        "the gate's previous run did not stop cleanly; the machine did not restart, so nothing was lost",
      );
    } else if (lostUpTo !== undefined && lostUpTo >= now) {
      log.warn(
        { refusedUpTo: new Date(lostUpTo).toISOString() },
        "the gate's previous run did not stop cleanly before the machine restarted: its last grants may be " +
          "lost, so codes that were valid before this start are refused as used; people show a fresh code",
      );
    }
    return lostUpTo;
  }

  async stop(): Promise<void> {
    const db = this.opened?.db;
    if (db === undefined) return;
    try {
      // Every other component has stopped: no decision follows this.
      recordCleanStop(db);
    } catch (err) {
      this.deps.logger.error(
        { component: "storage", err: describeError(err) },
        "recording the clean stop failed; the next start will treat this run as cut off",
      );
    }
    try {
      db.pragma("wal_checkpoint(TRUNCATE)");
    } catch (err) {
      this.deps.logger.error(
        { component: "storage", err: describeError(err) },
        "final WAL checkpoint failed",
      );
    }
    db.close();
    await this.checkpointer?.stop();
  }
}
