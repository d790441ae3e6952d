import type { Config } from "../../config/schema.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import { writeJournaledPassages } from "../../daemon/gate/presence-rebuild.js";
import { rememberJournaledGrants } from "../../daemon/gate/replay-rebuild.js";
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
import {
  type CorruptionFinding,
  type DatabaseCondition,
  isCorruptionError,
  quickCheck,
} from "../../platform/database/corruption.js";
import type { Db } from "../../platform/database/database.js";
import { WalCheckpointer } from "../../platform/database/wal-checkpointer.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Component } from "../component.js";
import { openGateDatabase } from "../gate-database.js";
import { checkHealth, type HealthReport } from "../http/health.js";

/** How often grants' passages held in memory are written to the presence table, ms. */
const PRESENCE_FLUSH_MS = 1000;

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
 * It also records how each run ends (daemon/state/run-record.ts): after a run that did not
 * stop cleanly on an earlier boot of the machine, tokens that could have verified before
 * this start count as used, as their replay rows may have been lost with the power.
 */
export class StorageComponent implements Component, DatabaseCondition {
  readonly name = "storage";
  private opened: GateStores | undefined;
  private checkpointer: WalCheckpointer | undefined;
  private presenceTimer: NodeJS.Timeout | undefined;
  private finding: CorruptionFinding | undefined;
  private readonly corruptionListeners: ((finding: CorruptionFinding) => void)[] = [];

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

  /**
   * Healthy = not `stopping`, the database takes a write lock now (http/health.ts) and is
   * not known to be damaged (`database_corrupt`).
   */
  health(stopping: boolean): HealthReport {
    const base: HealthReport =
      this.opened === undefined
        ? { ok: false, failing: stopping ? ["stopping", "database"] : ["database"] }
        : checkHealth(this.opened.db, stopping);
    if (this.finding === undefined) return base;
    return { ok: false, failing: [...base.failing, "database_corrupt"] };
  }

  corrupt(): boolean {
    return this.finding !== undefined;
  }

  noteError(err: unknown, where: string): boolean {
    if (!isCorruptionError(err)) return false;
    this.found(where, err instanceof Error ? err.message : String(err));
    return true;
  }

  /**
   * Calls `listener` with the finding once the database is known to be damaged: now, if it
   * already is (quick_check at start), else when it first shows. Returns the unsubscribe.
   */
  onCorruption(listener: (finding: CorruptionFinding) => void): () => void {
    this.corruptionListeners.push(listener);
    if (this.finding !== undefined) listener(this.finding);
    return () => {
      const i = this.corruptionListeners.indexOf(listener);
      if (i >= 0) this.corruptionListeners.splice(i, 1);
    };
  }

  async start(): Promise<void> {
    const { storage, policy } = this.config;
    // Every component's tables at this passgate's schema, as any writer opens the file.
    const db = openGateDatabase(storage, "write");
    // A damaged file is found now rather than by the person it later denies. The gate still
    // starts (denying, /health failing) instead of crash-looping under systemd: a restart
    // cannot mend the file, and the alarm, /health and the fire input keep working.
    const started = process.hrtime.bigint();
    try {
      const problem = quickCheck(db);
      const ms = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
      if (problem === undefined)
        this.deps.logger.info({ component: "storage", ms }, "database quick_check ok");
      else this.found("quick_check at start", problem);
    } catch (err) {
      db.close();
      throw err;
    }
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
      const replay = new ReplayGuard(db);
      replay.assumeLostUpTo(this.recordStart(db, journal));
      // The gate's own grants write no replay row: their journal entries are the record.
      const remembered = rememberJournaledGrants(journal, replay, allowlist, {
        now: this.deps.clock.now(),
        window: this.config.token.window,
      });
      const presence = new PresenceStore(db);
      const passages = writeJournaledPassages(journal, presence);
      this.deps.logger.debug(
        { component: "storage", remembered, passages },
        "replay pairs and passages rebuilt from the journal",
      );
      this.opened = {
        db,
        allowlist,
        journal,
        replay,
        mode,
        presence,
      };
      this.checkpointer = checkpointer;
      // Grants' passages reach the presence table within a second, many per transaction.
      this.presenceTimer = setInterval(() => this.flushPresence(), PRESENCE_FLUSH_MS);
      this.presenceTimer.unref();
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

  private found(where: string, detail: string): void {
    if (this.finding !== undefined) return;
    const finding: CorruptionFinding = { at: this.deps.clock.now(), where, detail };
    this.finding = finding;
    // One line, not one per scan: every scan after this one is denied database_corrupt.
    this.deps.logger.error(
      { component: "storage", path: this.config.storage.path, where, detail },
      "the gate's database is damaged: every scan is denied until it is restored from a backup (passgate doctor says how)",
    );
    for (const listener of [...this.corruptionListeners]) listener(finding);
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

  /** Writes the passages of grants held in memory (a failure keeps them: the journal has them too). */
  private flushPresence(): void {
    try {
      this.opened?.presence.flush();
    } catch (err) {
      // A damaged file is logged once, by `found`; anything else here.
      if (!this.noteError(err, "presence write"))
        this.deps.logger.error({ component: "storage", err: describeError(err) }, "presence write failed");
    }
  }

  async stop(): Promise<void> {
    const db = this.opened?.db;
    if (db === undefined) return;
    clearInterval(this.presenceTimer);
    // Every other component has stopped: no decision follows this.
    this.flushPresence();
    try {
      recordCleanStop(db);
    } catch (err) {
      this.deps.logger.error(
        { component: "storage", err: describeError(err) },
        "recording the clean stop failed; the next start will treat this run as cut off",
      );
    }
    this.truncateWal(db, "stop");
    db.close();
    await this.checkpointer?.stop();
  }
}
