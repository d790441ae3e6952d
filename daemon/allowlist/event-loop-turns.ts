import { setImmediate as nextTurn } from "node:timers/promises";

/**
 * Long work on the daemon's event loop (applying 10⁶ credentials takes seconds of CPU),
 * cut into slices: `turn()` gives the loop a turn once `sliceMs` has passed since the last
 * one, so a scan that arrives meanwhile waits at most about one slice. Awaiting a stream
 * alone does not do this: while its data is buffered, each read resolves at once, without
 * letting timers or sockets run.
 */
export class EventLoopTurns {
  private since = performance.now();

  /** `sliceMs`: work between two turns, ms. */
  constructor(private readonly sliceMs = 1) {}

  async turn(): Promise<void> {
    if (performance.now() - this.since < this.sliceMs) return;
    await nextTurn();
    this.since = performance.now();
  }
}
