/** Waiting helpers of the campus engine, in real time (the campus clock may be a test's). */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `done` every 20 ms; rejects after `timeoutMs` of real time. */
export async function waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`campus: timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Waits until `value()` has not changed for `quietMs`, at most `maxMs`. */
export async function waitForStable(value: () => number, quietMs: number, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = value();
  let since = Date.now();
  while (Date.now() < deadline && Date.now() - since < quietMs) {
    await sleep(50);
    const now = value();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}
