import type { Logger } from "../platform/log/logger.js";

/** Where a snapshot download's progress goes: a bar on a terminal, log lines otherwise. */
export interface ProgressSink {
  /** The header was read: `total` records announced (its `count`). */
  start(total: number): void;
  /** `records` lines after the header so far, `bytes` received, `elapsedMs` since start. */
  update(records: number, bytes: number, elapsedMs: number): void;
  /** The body ended (or failed); the last update was already given. */
  finish(ok: boolean): void;
}

/** How often a sink is updated at most. */
const UPDATE_EVERY_MS = 200;
/** A header longer than this is not looked at for progress (the apply refuses it anyway). */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * Passes `body` through unchanged while counting its lines, and reports a snapshot's
 * progress to `sink`: records seen against the header's `count`. Only counts LFs, so it
 * adds almost nothing to the apply; the header is parsed here only for display (the apply
 * checks it). Deltas are passed through without progress: they are small.
 */
export async function* withProgress(
  body: AsyncIterable<Uint8Array>,
  sink: ProgressSink,
  now: () => number = () => performance.now(),
): AsyncGenerator<Uint8Array> {
  let head: Buffer | null = Buffer.alloc(0);
  let started = false;
  let lines = 0;
  let bytes = 0;
  const t0 = now();
  let lastUpdate = t0;
  let ok = false;
  try {
    for await (const chunk of body) {
      bytes += chunk.byteLength;
      lines += countLf(chunk);
      if (head !== null) {
        head = Buffer.concat([head, chunk]);
        const lf = head.indexOf(10);
        if (lf >= 0) {
          const total = snapshotCount(head.subarray(0, lf));
          if (total !== null) {
            sink.start(total);
            started = true;
          }
          head = null;
        } else if (head.length > MAX_HEADER_BYTES) head = null;
      }
      const t = now();
      if (started && t - lastUpdate >= UPDATE_EVERY_MS) {
        lastUpdate = t;
        sink.update(Math.max(0, lines - 1), bytes, t - t0);
      }
      yield chunk;
    }
    ok = true;
  } finally {
    if (started) {
      // The trailer line is not a record.
      sink.update(Math.max(0, lines - (ok ? 2 : 1)), bytes, now() - t0);
      sink.finish(ok);
    }
  }
}

function countLf(chunk: Uint8Array): number {
  let n = 0;
  for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
  return n;
}

function snapshotCount(line: Buffer): number | null {
  try {
    const header = JSON.parse(line.toString("utf8")) as { kind?: unknown; count?: unknown };
    return header.kind === "snapshot" && typeof header.count === "number" ? header.count : null;
  } catch {
    return null;
  }
}

/** A one-line bar redrawn in place: `[#####-----]  45%  450000/1000000  12000/s`. */
export class TtyProgressBar implements ProgressSink {
  private total = 0;
  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly width = 30,
  ) {}

  start(total: number): void {
    this.total = total;
  }

  update(records: number, _bytes: number, elapsedMs: number): void {
    const fraction = this.total > 0 ? Math.min(1, records / this.total) : 1;
    const filled = Math.round(fraction * this.width);
    const rate = elapsedMs > 0 ? Math.round((records * 1000) / elapsedMs) : 0;
    this.out.write(
      `\r[${"#".repeat(filled)}${"-".repeat(this.width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${records}/${this.total}  ${rate}/s `,
    );
  }

  finish(ok: boolean): void {
    this.out.write(ok ? "\n" : "  (failed)\n");
  }
}

/** Progress as log lines, at most one per `everyMs` (default 5 s), for a daemon or a pipe. */
export class LogProgress implements ProgressSink {
  private total = 0;
  private lastLog = Number.NEGATIVE_INFINITY;
  constructor(
    private readonly log: Logger,
    private readonly everyMs = 5000,
  ) {}

  start(total: number): void {
    this.total = total;
    this.log.info({ total }, "snapshot download started");
  }

  update(records: number, bytes: number, elapsedMs: number): void {
    if (elapsedMs - this.lastLog < this.everyMs) return;
    this.lastLog = elapsedMs;
    const rate = elapsedMs > 0 ? Math.round((records * 1000) / elapsedMs) : 0;
    this.log.info({ records, total: this.total, bytes, perSecond: rate }, "snapshot download progress");
  }

  finish(ok: boolean): void {
    this.log.info({ ok }, "snapshot download ended");
  }
}
