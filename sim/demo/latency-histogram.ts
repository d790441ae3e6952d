/**
 * Decision latencies in log-spaced buckets (2 % apart), so a demo that runs for hours
 * keeps percentiles in constant memory. A percentile is reported as its bucket's upper
 * bound: never below the true value, at most 2 % above it.
 */
export class LatencyHistogram {
  private static readonly GROWTH = 1.02;
  private readonly counts = new Map<number, number>();
  private total = 0;
  private largest = 0;

  /** Records one latency in microseconds; negative or non-finite values are ignored. */
  record(micros: number): void {
    if (!Number.isFinite(micros) || micros < 0) return;
    const bucket = micros <= 1 ? 0 : Math.ceil(Math.log(micros) / Math.log(LatencyHistogram.GROWTH));
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.total++;
    this.largest = Math.max(this.largest, micros);
  }

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.largest;
  }

  /** The `q`-quantile (0 < q ≤ 1) in microseconds, or undefined before the first value. */
  quantile(q: number): number | undefined {
    if (this.total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket) ?? 0;
      if (seen >= rank) return Math.min(this.largest, LatencyHistogram.GROWTH ** bucket);
    }
    return this.largest;
  }
}
