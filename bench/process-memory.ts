import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { Worker } from "node:worker_threads";

/** Peaks of this process's resident memory by kind, in bytes, from /proc/self/status. */
export interface MemoryPeaks {
  /** VmRSS: everything resident. */
  readonly rss: number;
  /** RssAnon: the process's own memory (JS heap, SQLite's page cache, buffers). */
  readonly anon: number;
  /** RssFile: file-backed pages (the memory-mapped database, node's code): reclaimable cache. */
  readonly file: number;
  /** RssShmem: shared memory (SQLite's WAL index, the `-shm` file). */
  readonly shmem: number;
  /** The same four read when sampling started. */
  readonly before: {
    readonly rss: number;
    readonly anon: number;
    readonly file: number;
    readonly shmem: number;
  };
}

/**
 * Samples in a worker thread, so a peak reached while the main thread is busy (a long
 * synchronous SQLite statement) is still seen; /proc/self is the whole process from any of
 * its threads. The thread's own isolate (a few MB of RssAnon) is counted too: the figure
 * errs high, never low.
 */
const SAMPLER_SOURCE = `
const { readFileSync } = require("node:fs");
const { parentPort, workerData } = require("node:worker_threads");
const read = () => {
  const text = readFileSync("/proc/self/status", "utf8");
  const kb = (field) => Number((new RegExp("^" + field + ":\\\\s+(\\\\d+)", "m").exec(text) || [])[1] || 0) * 1024;
  return { rss: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile"), shmem: kb("RssShmem") };
};
const before = read();
const max = { ...before };
const sample = () => {
  const now = read();
  for (const k of Object.keys(max)) max[k] = Math.max(max[k], now[k]);
};
const timer = setInterval(sample, workerData.intervalMs);
parentPort.postMessage({ started: true });
parentPort.on("message", () => {
  clearInterval(timer);
  sample();
  parentPort.postMessage({ ...max, before });
  parentPort.close();
});
`;

export interface MemorySampler {
  stop(): Promise<MemoryPeaks>;
}

/** Starts sampling every `intervalMs` (default 20); resolves once the first sample is taken. */
export async function sampleProcessMemory(intervalMs = 20): Promise<MemorySampler> {
  const worker = new Worker(SAMPLER_SOURCE, { eval: true, workerData: { intervalMs } });
  await new Promise<void>((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("error", reject);
  });
  return {
    stop: () =>
      new Promise<MemoryPeaks>((resolve, reject) => {
        worker.once("message", (peaks: MemoryPeaks) => resolve(peaks));
        worker.once("error", reject);
        worker.postMessage("stop");
      }),
  };
}

/**
 * The longest the main thread's event loop was held, in ms (perf_hooks' histogram at 1 ms
 * resolution: a block shows as a timer that fired that much late), and the longest garbage
 * collection pause in the same time, which tells a block of V8's from one of the code or
 * of a machine too busy to run the process.
 */
export function watchEventLoop(): { stop(): { blockMs: number; gcMs: number } } {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs = Math.max(gcMs, entry.duration);
  });
  gc.observe({ entryTypes: ["gc"] });
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      gc.disconnect();
      return { blockMs: Math.round(histogram.max / 1e5) / 10, gcMs: Math.round(gcMs * 10) / 10 };
    },
  };
}

export const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);
