import type { Config } from "../../config/schema.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import { Journal } from "../../daemon/journal/journal.js";
import { ModeStore } from "../../daemon/state/mode-store.js";
import { PresenceStore } from "../../daemon/state/presence-store.js";
import { ReplayGuard } from "../../daemon/state/replay-guard.js";
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
 * The start does the same to a WAL a crash left behind.
 */
export class StorageComponent implements Component {
  readonly name = "storage";
  private opened: GateStores | undefined;
  private checkpointer: WalCheckpointer | undefined;

  constructor(
    private readonly config: Config,
    private readonly deps: { readonly clock: Clock; readonly logger: Logger },
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
      // A WAL left by a crash (kill -9, power cut) is folded into the database file and
      // emptied before the first scan, so crashes under load never pile up in it.
      this.truncateWal(db, "start");
      // Checkpoints run on the checkpointer's thread, never in a decision's commit.
      db.pragma("wal_autocheckpoint = 0");
      checkpointer.start();
      const allowlist = SqliteAllowlistStore.open(db);
      const journal = Journal.open(db);
      const mode = ModeStore.load(db, { mode: policy.mode, since: this.deps.clock.now(), source: "config" });
      this.opened = {
        db,
        allowlist,
        journal,
        replay: new ReplayGuard(db),
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
   * `wal_checkpoint(TRUNCATE)`: copies the whole WAL into the database file and cuts the WAL
   * to 0 bytes. Only at start and stop, when no scan waits: it blocks writers while it
   * runs. Another process reading (a CLI command) can keep it from finishing: then it is
   * logged, and the one-second checkpoints and the WAL size limit see to it later.
   */
  private truncateWal(db: Db, when: "start" | "stop"): void {
    const log = this.deps.logger;
    try {
      const [result] = db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number; log: number }[];
      if (result !== undefined && result.busy !== 0)
        log.warn(
          { component: "storage", walFrames: result.log },
          `WAL not emptied at ${when}: another process held the database; the periodic checkpoints will`,
        );
    } catch (err) {
      log.error({ component: "storage", err: describeError(err) }, `WAL checkpoint at ${when} failed`);
    }
  }

  async stop(): Promise<void> {
    const db = this.opened?.db;
    if (db === undefined) return;
    this.truncateWal(db, "stop");
    db.close();
    await this.checkpointer?.stop();
  }
}
