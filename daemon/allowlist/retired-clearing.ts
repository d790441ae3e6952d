import type { WritableAllowlistStore } from "./allowlist-store.js";

/**
 * Between two steps of clearing, ms. A step deletes 500 rows and writes about 26 WAL pages
 * (every freed leaf page is written: 107 KB); back to back, the 10⁶ rows of a replaced
 * snapshot wrote 200 MB of WAL in 2.3 s, and the RESTART that had to start that log over
 * held the gate's writes 198 ms. Paced, the clearing writes about 10 MB a second, which the
 * checkpoint thread copies as it goes (a 10⁶ allowlist is cleared in about 25 s).
 */
export const CLEAR_STEP_GAP_MS = 10;
/** How often an idle clearing looks for something to clear, ms (an apply wakes it at once). */
const IDLE_CHECK_MS = 60_000;

/**
 * Clears allowlists no longer in force (the one a snapshot replaced, a discarded or stale
 * staging) a step at a time, paced, on the daemon's connection, after the apply that
 * retired them has returned: the gate's scans get the event loop between steps, the
 * checkpoint thread keeps up with the WAL, and the sync loop (a revocation pushed just
 * after a snapshot) does not wait for it. A failed step is reported and the clearing
 * tries again at its next look: the tables are out of force either way.
 *
 * `start()` looks at once (a process killed mid-clearing left some), `wake()` after an
 * apply, `stop()` ends it between two steps.
 */
export class RetiredAllowlistClearing {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private idleWaiters: (() => void)[] = [];
  private idle = true;

  constructor(
    private readonly store: Pick<WritableAllowlistStore, "clearRetired">,
    private readonly deps: {
      readonly now: () => number;
      readonly onError: (err: unknown) => void;
      /** Between two steps, ms. Default CLEAR_STEP_GAP_MS. */
      readonly gapMs?: number;
    },
  ) {}

  start(): void {
    this.running = true;
    this.idle = false;
    this.schedule(0);
  }

  /** Something may have been retired: look now rather than at the next idle check. */
  wake(): void {
    if (!this.running) return;
    this.idle = false;
    this.schedule(0);
  }

  /** Resolves once a look found nothing left to clear (at once if the last one did). */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.settle();
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.step(), ms);
    this.timer.unref();
  }

  private step(): void {
    if (!this.running) return;
    let more = false;
    try {
      more = this.store.clearRetired(this.deps.now());
    } catch (err) {
      this.deps.onError(err);
    }
    if (more) {
      this.idle = false;
      this.schedule(this.deps.gapMs ?? CLEAR_STEP_GAP_MS);
      return;
    }
    this.settle();
    this.schedule(IDLE_CHECK_MS);
  }

  private settle(): void {
    this.idle = true;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
