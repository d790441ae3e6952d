import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * The checkpoint thread's code. Plain CommonJS evaluated in the worker (so it runs the
 * same from source and from dist/); it loads better-sqlite3 from the path resolved here.
 * PASSIVE never blocks the daemon's writes; it only copies what no reader still needs.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 1000");
const checkpoint = () => {
  try { db.pragma("wal_checkpoint(PASSIVE)"); }
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
  ) {}

  start(): void {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path: this.path, intervalMs: this.intervalMs, driver },
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
