import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { WAL_SIZE_LIMIT_BYTES } from "./database.js";

/**
 * The checkpoint thread's code. Plain CommonJS evaluated in the worker (so it runs the
 * same from source and from dist/); it loads better-sqlite3 from the path resolved here.
 * PASSIVE never blocks the daemon's writes; it only copies what no reader still needs.
 *
 * PASSIVE alone never empties the WAL of a busy gate: SQLite starts the log over only when
 * a write begins with every frame already copied, and with scans arriving between the
 * checkpoints that moment never comes (measured: 4 MB a second at 450 scans/s, 80 MB in
 * 20 s, for good). So once the file is over `restartAboveBytes` the thread runs one
 * RESTART, which holds the gate's writes while it copies the last frames and waits for a
 * reader (a CLI command) or a write still under way at most `restartWaitMs`; the gate's next
 * commit then writes the log from its start again and cuts the file back to
 * `journal_size_limit` (database.ts). A RESTART that gives up is tried again at the next
 * check, then after twice the interval, four times…, at most `restartBackoffMs` apart: a write
 * that outlasted one try (a big transaction on a loaded machine) costs one check, while a
 * long reader (a backup) is not made to hold the gate's writes at every check. With a fixed
 * 5 s wait after any busy try, a loaded machine writing a bulk of 22 MB a second let the WAL
 * grow to 140 MB where 16 MB was its bound.
 *
 * What it holds the gate's writes for is kept to a few milliseconds, because a scan's
 * journal entry waits for it (and SQLite's busy wait sleeps in steps of 1, 2, 5, 10 ms, so
 * a scan waits longer than the hold). Measured while a 10⁶-credential snapshot was staged
 * (about 25 MB of WAL a second), a TRUNCATE held the gate's writes 11–68 ms once a second:
 * it copied what the gate wrote during the PASSIVE before it (50–200 ms of copying), synced
 * the database file, and cut the WAL file to 0, which on ext4 frees its blocks at about
 * 0.2 ms per MB (the gate's writes then grew it again, block by block). So before the
 * RESTART the thread repeats PASSIVE, on no lock, until little is left to copy, and syncs
 * the database file; and the RESTART leaves the file's blocks in place for the log to be
 * written over.
 */
const WORKER_SOURCE = `
const { closeSync, fsyncSync, openSync, statSync } = require("node:fs");
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 1000");
let restartAfter = 0;
// RESTARTs in a row that gave up (busy): the next try waits longer each time.
let busyTries = 0;
// Bytes a WAL frame takes: a page and its header.
const frameBytes = db.pragma("page_size", { simple: true }) + 24;
let framesBefore = 0;
const walSize = () => { try { return statSync(workerData.path + "-wal").size; } catch { return 0; } };
const syncDatabaseFile = () => {
  const fd = openSync(workerData.path, "r");
  try { fsyncSync(fd); } finally { closeSync(fd); }
};
// Frames of the WAL not yet in the database file after a checkpoint: [{ busy, log, checkpointed }].
const behind = ([r]) => (r ? r.log - r.checkpointed : 0);
const passive = () => db.pragma("wal_checkpoint(PASSIVE)");
const restart = () => {
  // Blocks the gate's writes while it runs: wait for a reader no longer than restartWaitMs.
  db.pragma("busy_timeout = " + workerData.restartWaitMs);
  try {
    const [r] = db.pragma("wal_checkpoint(RESTART)");
    if (r && r.busy) {
      busyTries++;
      const wait = busyTries === 1 ? 0 : Math.min(workerData.restartBackoffMs, workerData.intervalMs * 2 ** (busyTries - 1));
      restartAfter = Date.now() + wait;
      parentPort.postMessage({ restart: "busy" });
    } else {
      busyTries = 0;
      parentPort.postMessage({ restart: "done" });
    }
  } finally { db.pragma("busy_timeout = 1000"); }
};
const checkpoint = () => {
  try {
    let result = passive();
    // More than the bound written since the last check is a bulk write (a snapshot being
    // staged): each RESTART holds the gate's writes, so the WAL is let grow to bulkRestartFactor
    // times the bound before one, or until the bulk write ends.
    const frames = Math.max(0, (result[0] && result[0].log) || 0);
    const written = (frames >= framesBefore ? frames - framesBefore : frames) * frameBytes;
    framesBefore = frames;
    const bound = workerData.restartAboveBytes * (written > workerData.restartAboveBytes ? workerData.bulkRestartFactor : 1);
    if (walSize() > bound && Date.now() >= restartAfter) {
      for (let i = 0; i < workerData.catchUpPasses && behind(result) > workerData.catchUpFrames; i++) {
        result = passive();
      }
      syncDatabaseFile();
      restart();
    }
  }
  catch (err) { parentPort.postMessage({ error: String(err && err.message || err) }); }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m !== "stop") return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/** Longest a RESTART waits for a reader to finish (the gate's writes wait as long), ms. */
const RESTART_WAIT_MS = 50;
/** The longest wait between two RESTARTs that a reader keeps from finishing, ms. */
const RESTART_BACKOFF_MS = 5_000;
/**
 * Before a RESTART, PASSIVE runs again while more than CATCH_UP_FRAMES pages (1 MB) are left
 * to copy, at most CATCH_UP_PASSES times: each pass copies what the gate wrote during the
 * one before, about a tenth of it while a snapshot is staged.
 */
const CATCH_UP_FRAMES = 256;
const CATCH_UP_PASSES = 3;
/**
 * While more than the bound is written between two checks (a snapshot being staged, about
 * 25 MB a second for a 10⁶ one), the WAL may grow to this many times the bound before a
 * RESTART: four times fewer holds of the gate's writes while a snapshot applies.
 */
const BULK_RESTART_FACTOR = 4;

/**
 * Moves WAL checkpoints off the decision path: the daemon's connection turns SQLite's
 * auto-checkpoint off and this worker thread checkpoints every `intervalMs` (default
 * 1 s) on a connection of its own. Without it, every ~1000th commit would carry a
 * checkpoint of several milliseconds: exactly the p99 of a scan.
 */
export class WalCheckpointer {
  private worker: Worker | undefined;

  constructor(
    private readonly path: string,
    private readonly onError: (message: string) => void,
    private readonly intervalMs = 1000,
    /** The WAL file size above which the thread starts the log over (RESTART). */
    private readonly restartAboveBytes = WAL_SIZE_LIMIT_BYTES,
    private readonly options: {
      /** The longest wait between two RESTARTs that gave up. */
      readonly restartBackoffMs?: number;
      /** Each RESTART tried: `done`, or `busy` (a reader or a write outlasted its wait). */
      readonly onRestart?: (outcome: "done" | "busy") => void;
    } = {},
  ) {}

  start(): void {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path: this.path,
        intervalMs: this.intervalMs,
        driver,
        restartAboveBytes: this.restartAboveBytes,
        restartWaitMs: RESTART_WAIT_MS,
        restartBackoffMs: this.options.restartBackoffMs ?? RESTART_BACKOFF_MS,
        catchUpFrames: CATCH_UP_FRAMES,
        catchUpPasses: CATCH_UP_PASSES,
        bulkRestartFactor: BULK_RESTART_FACTOR,
      },
    });
    this.worker.on("message", (m: { error?: string; restart?: "done" | "busy" }) => {
      if (m.error !== undefined) this.onError(m.error);
      if (m.restart !== undefined) this.options.onRestart?.(m.restart);
    });
    this.worker.on("error", (err) => this.onError(err.message));
    this.worker.unref();
  }

  /** Runs a last checkpoint and ends the thread. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return;
    this.worker = undefined;
    // Keep the process alive until the last checkpoint is done: the thread is unref'd while running.
    worker.ref();
    await new Promise<void>((resolve) => {
      worker.once("exit", () => resolve());
      worker.postMessage("stop");
    });
  }
}
