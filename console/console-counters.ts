/**
 * What the console counts: refused logins, rate limits, CSRF refusals, dropped gate
 * payloads by reason. `passgate console run` logs them; the tests read them.
 */
export class ConsoleCounters {
  private readonly counts = new Map<string, number>();

  inc(name: string, by = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + by);
  }

  get(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
