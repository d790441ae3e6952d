/** How long one answer of the clock check is reused, ms: the clock's sync state changes slowly. */
export const CLOCK_CHECK_MAX_AGE_MS = 60_000;

/**
 * The answer to "is the system clock NTP-synchronised?" for the metrics, asked at most once
 * a minute (a scrape every 15 s would otherwise start a `timedatectl` process each time) and
 * never twice at once. `ask` is `ntpSynchronized` (platform/ntp-synchronized.ts) on a gate;
 * "yes" is true, "no" false, anything else (or no answer) undefined.
 */
export class ClockSyncCache {
  private last: { readonly at: number; readonly value: boolean | undefined } | undefined;
  private pending: Promise<boolean | undefined> | undefined;

  constructor(
    private readonly ask: () => Promise<string | undefined>,
    private readonly now: () => number,
    private readonly maxAgeMs = CLOCK_CHECK_MAX_AGE_MS,
  ) {}

  synchronized(): Promise<boolean | undefined> {
    const last = this.last;
    if (last !== undefined && this.now() - last.at < this.maxAgeMs) return Promise.resolve(last.value);
    this.pending ??= this.ask()
      .then(
        (answer) => (answer === "yes" ? true : answer === "no" ? false : undefined),
        () => undefined,
      )
      .then((value) => {
        this.last = { at: this.now(), value };
        this.pending = undefined;
        return value;
      });
    return this.pending;
  }
}
