import type { ReaderState, Scan, ScanRejection, ScanSourceEvents } from "../scan-source.js";

/** Records what a source reports, for tests. */
export class ScanRecorder implements ScanSourceEvents {
  readonly scans: Scan[] = [];
  readonly rejections: ScanRejection[] = [];
  readonly states: ReaderState[] = [];

  scan(scan: Scan): void {
    this.scans.push(scan);
  }
  rejected(_reader: string, reason: ScanRejection): void {
    this.rejections.push(reason);
  }
  state(_reader: string, state: ReaderState): void {
    this.states.push(state);
  }

  get texts(): string[] {
    return this.scans.map((s) => s.text);
  }

  get lastState(): ReaderState | undefined {
    return this.states[this.states.length - 1];
  }
}

/** Polls `condition` every 10 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

/** Lets pending I/O callbacks run (for asserting that something did NOT arrive). */
export function settle(ms = 100): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
