/** One line of `npm run bench -- --json`. Times in microseconds. */
export interface BenchResult {
  readonly name: string;
  readonly n: number;
  readonly p50_us: number;
  readonly p99_us: number;
  readonly floor_p50_us: number;
  readonly floor_p99_us: number;
  /** p99 / floor_p99: how much the real path costs over the floor, in the same run. */
  readonly ratio: number;
  readonly [extra: string]: unknown;
}

/** The q-quantile (0..1) of samples, nearest-rank. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round((sorted[rank] ?? Number.NaN) * 100) / 100;
}

/**
 * The fields every line compared with a same-run floor has: `samples` and `floor` in µs,
 * their p50 and p99, and the ratio of the p99s. A bench spreads its own fields after them.
 */
export function againstFloor(
  name: string,
  samples: readonly number[],
  floor: readonly number[],
): BenchResult {
  const p99 = percentile(samples, 0.99);
  const floorP99 = percentile(floor, 0.99);
  return {
    name,
    n: samples.length,
    p50_us: percentile(samples, 0.5),
    p99_us: p99,
    floor_p50_us: percentile(floor, 0.5),
    floor_p99_us: floorP99,
    ratio: p99 / floorP99,
  };
}
