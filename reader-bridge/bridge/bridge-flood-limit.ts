/**
 * How many scans one reader bridge may deliver: `burst` at once, then `perSecond`, shared by
 * all the readers it feeds (a token bucket per bridge). A turnstile passes about one person
 * a second, so the defaults (20, then 5 a second) leave a four-lane bridge room and stop a
 * flood from a stolen key or a broken board before it reaches the decisions. Only members
 * whose signature verified are counted, so the map is bounded by the roster.
 */
export class BridgeFloodLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst = 20,
    private readonly perSecond = 5,
  ) {}

  /** Takes one scan from `signer`'s budget at `now` (epoch ms); false when it has none left. */
  readonly admit = (signer: string, now: number): boolean => {
    const b = this.buckets.get(signer) ?? { tokens: this.burst, at: now };
    const tokens = Math.min(this.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.perSecond);
    if (tokens < 1) {
      this.buckets.set(signer, { tokens, at: now });
      return false;
    }
    this.buckets.set(signer, { tokens: tokens - 1, at: now });
    return true;
  };
}
