/**
 * Lets one log line per key through every `intervalMs`, counting the ones held back, so a
 * reader spewing garbage (or an attacker) cannot flood the log. Counters elsewhere still
 * see every event; this only limits lines.
 */
export class LogThrottle {
  private readonly keys = new Map<string, { lastAt: number; held: number }>();

  /** `intervalMs`: at most one line per key this often (default 10 s). */
  constructor(
    private readonly now: () => number,
    private readonly intervalMs = 10_000,
  ) {}

  /**
   * Whether to log an event of `key` now: the number of events held back since the last
   * line of that key (0 for the first), or undefined to hold this one back.
   */
  admit(key: string): number | undefined {
    const at = this.now();
    const entry = this.keys.get(key);
    if (entry === undefined || at - entry.lastAt >= this.intervalMs) {
      const held = entry?.held ?? 0;
      this.keys.set(key, { lastAt: at, held: 0 });
      return held;
    }
    entry.held++;
    return undefined;
  }
}
