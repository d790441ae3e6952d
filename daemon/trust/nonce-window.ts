/**
 * The `(signer, nonce)` pairs seen within the freshness bound (site-roster.md): a message
 * replayed inside the bound is refused by its repeated nonce, one replayed later by its
 * stale `at`, so a pair need only be kept while its message could still be fresh.
 * Memory is bounded: past `capacity` live pairs, new messages are refused (`full`) rather
 * than old pairs forgotten early, which would let a captured message be replayed.
 */
export class NonceWindow {
  /** Key `signer \0 nonce` → epoch ms after which the pair can be forgotten. */
  private readonly seen = new Map<string, number>();

  /** `windowMs`: how long a pair is kept after its message's `at` (the freshness bound, both sides). */
  constructor(
    private readonly windowMs: number,
    private readonly capacity = 100_000,
  ) {}

  /**
   * Records the pair of a message sent at `at` (epoch ms), seen at `now`. Returns "fresh"
   * the first time, "repeated" when the pair is still remembered, "full" when no room is left.
   */
  admit(signer: string, nonce: string, at: number, now: number): "fresh" | "repeated" | "full" {
    const key = `${signer}\0${nonce}`;
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return "repeated";
    if (this.seen.size >= this.capacity) this.forget(now);
    if (this.seen.size >= this.capacity) return "full";
    // Kept until the message could no longer be fresh by either clock reading.
    this.seen.set(key, Math.max(at, now) + this.windowMs);
    return "fresh";
  }

  get size(): number {
    return this.seen.size;
  }

  /** Drops the pairs whose messages can no longer be fresh. */
  forget(now: number): void {
    for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key);
  }
}
