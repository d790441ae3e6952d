/** A registry request that did not end within `sync.requestTimeout`: the reason its signal aborts with. */
export class RequestTimeoutError extends Error {
  readonly code = "REQUEST_TIMEOUT";
  constructor(timeoutMs: number) {
    super(
      `the registry did not finish answering within sync.requestTimeout (${formatMs(timeoutMs)}): request abandoned`,
    );
    this.name = "RequestTimeoutError";
  }
}

/**
 * One request's overall deadline: its `signal` aborts `timeoutMs` after the deadline is made,
 * whatever stage the request is in (connecting, waiting for headers, reading the body), or
 * when `outer` aborts (the sync loop stops). Call `done()` once the request, body included,
 * is over.
 *
 * Why not `AbortSignal.any([outer, AbortSignal.timeout(ms)])`: in Node 20 the combined
 * signal holds its sources only weakly, so once the request was sent nothing kept the
 * timeout signal alive, a garbage collection during a long body dropped it, and the
 * timeout never fired (a body trickling at 1 KB/s ran 65 s past a 30 s timeout). Here the
 * timer holds the controller itself until `done()`.
 */
export class RequestDeadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly onOuterAbort: (() => void) | undefined;

  constructor(
    timeoutMs: number,
    private readonly outer?: AbortSignal,
  ) {
    this.timer = setTimeout(() => this.controller.abort(new RequestTimeoutError(timeoutMs)), timeoutMs);
    // A deadline never keeps the process alive by itself: the request's socket does while it is open.
    this.timer.unref();
    if (outer === undefined) this.onOuterAbort = undefined;
    else if (outer.aborted) {
      this.onOuterAbort = undefined;
      this.controller.abort(outer.reason);
    } else {
      const onAbort = () => this.controller.abort(outer.reason);
      this.onOuterAbort = onAbort;
      outer.addEventListener("abort", onAbort, { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The request is over (answered, failed or abandoned): the timer and the outer listener go. */
  done(): void {
    clearTimeout(this.timer);
    if (this.onOuterAbort !== undefined) this.outer?.removeEventListener("abort", this.onOuterAbort);
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
