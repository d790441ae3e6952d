/**
 * Delays between attempts to reach a device that is away: doubling from `minMs` up to
 * `maxMs`. The cap is what bounds how soon a returning device is found (at most `maxMs`
 * plus one open), so keep it under the 2 s the gate promises.
 */
export class ReconnectBackoff {
  private next: number;

  constructor(
    private readonly minMs = 100,
    private readonly maxMs = 1_000,
  ) {
    this.next = minMs;
  }

  /** The delay before the next attempt; each call doubles the one after. */
  delay(): number {
    const d = this.next;
    this.next = Math.min(this.maxMs, this.next * 2);
    return d;
  }

  reset(): void {
    this.next = this.minMs;
  }
}
