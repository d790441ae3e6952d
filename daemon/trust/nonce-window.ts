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
  /**
   * The keys in the order they were admitted, with their expiry then; from `head` on. Pairs
   * are admitted in about the order they expire (their `at` is within the freshness bound of
   * `now`), so the expired ones are found at the front. (Not the Map's own order: deleting at
   * a Map's head leaves holes that every new iteration walks again.)
   */
  private order: { key: string; until: number }[] = [];
  private head = 0;

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
    // Expired pairs go as new ones come, a few at a time: left until the map is full, they
    // would be swept all at once, stalling the gate's one thread for tens of milliseconds.
    this.forgetOldest(now);
    if (this.seen.size >= this.capacity) this.forget(now);
    if (this.seen.size >= this.capacity) return "full";
    // Kept until the message could no longer be fresh by either clock reading.
    const expires = Math.max(at, now) + this.windowMs;
    this.seen.set(key, expires);
    this.order.push({ key, until: expires });
    return "fresh";
  }

  get size(): number {
    return this.seen.size;
  }

  /** Drops the pairs whose messages can no longer be fresh. */
  forget(now: number): void {
    for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key);
    this.order = this.order.slice(this.head).filter((p) => this.seen.get(p.key) === p.until);
    this.head = 0;
  }

  /** Drops expired pairs from the front, up to the first live one: each pair is looked at about once. */
  private forgetOldest(now: number): void {
    const order = this.order;
    let head = this.head;
    while (head < order.length) {
      const oldest = order[head]!;
      if (oldest.until > now) break;
      // The key may have been admitted again since (after it expired): then it stays.
      if (this.seen.get(oldest.key) === oldest.until) this.seen.delete(oldest.key);
      head++;
    }
    // The array drops what was passed over once that is most of it.
    if (head > 1_024 && head * 2 > order.length) {
      this.order = order.slice(head);
      head = 0;
    }
    this.head = head;
  }
}
