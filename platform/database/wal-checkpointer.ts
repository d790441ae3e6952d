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
 * 20 s, for good). So once the file is over `truncateAboveBytes` the thread runs one
 * TRUNCATE: it copies the frames since the last PASSIVE (at most a second of commits) and
 * cuts the file to 0, holding the gate's writes meanwhile, and waits for a reader (a CLI
 * command) at most `truncateWaitMs` before giving up until `truncateBackoffMs` later.
 */
const WORKER_SOURCE = `
const { closeSync, fsyncSync, openSync, statSync } = require("node:fs");
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 1000");
let truncateAfter = 0;
const walSize = () => { try { return statSync(workerData.path + "-wal").size; } catch { return 0; } };
// Flushes to disk what the PASSIVE checkpoint copied into the database file, before the
// TRUNCATE: the TRUNCATE syncs the file while it holds the gate's writes, and after a second
// of a snapshot's staging that flush is tens of MB (a scan waited 75 ms for it). Synced here,
// on no lock, the TRUNCATE's own sync has only its last frames left.
const syncDatabaseFile = () => {
  const fd = openSync(workerData.path, "r");
  try { fsyncSync(fd); } finally { closeSync(fd); }
};
const truncate = () => {
  syncDatabaseFile();
  // Blocks the gate's writes while it runs: wait for a reader no longer than truncateWaitMs.
  db.pragma("busy_timeout = " + workerData.truncateWaitMs);
  try {
    const [r] = db.pragma("wal_checkpoint(TRUNCATE)");
    if (r && r.busy) truncateAfter = Date.now() + workerData.truncateBackoffMs;
  } finally { db.pragma("busy_timeout = 1000"); }
};
const checkpoint = () => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
    if (walSize() > workerData.truncateAboveBytes && Date.now() >= truncateAfter) truncate();
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

/** Longest a TRUNCATE waits for a reader to finish (the gate's writes wait as long), ms. */
const TRUNCATE_WAIT_MS = 50;
/** After a reader kept a TRUNCATE from finishing, the next try waits this long, ms. */
const TRUNCATE_BACKOFF_MS = 5_000;

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
    /** The WAL file size above which the thread empties it (TRUNCATE). */
    private readonly truncateAboveBytes = WAL_SIZE_LIMIT_BYTES,
  ) {}

  start(): void {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path: this.path,
        intervalMs: this.intervalMs,
        driver,
        truncateAboveBytes: this.truncateAboveBytes,
        truncateWaitMs: TRUNCATE_WAIT_MS,
        truncateBackoffMs: TRUNCATE_BACKOFF_MS,
      },
    });
    this.worker.on("message", (m: { error?: string }) => {
      if (m.error !== undefined) this.onError(m.error);
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
