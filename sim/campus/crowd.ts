import type { SeededRandom } from "./rng.js";

/** One person arriving at a lane, `at` ms after the crowd starts. */
export interface Arrival {
  readonly at: number;
  readonly lane: number;
}

/**
 * The crowd at the change of lectures: each lane gets a stream of arrivals at `perMinute`
 * people a minute, merged in time order. Poisson-ish: gaps are drawn uniformly between
 * half and one and a half times the mean gap, so people bunch and spread as in a queue but
 * a 20 s run still sees close to its rate (a pure Poisson stream of 10 arrivals varies by
 * ±30 %). Lanes draw from the one generator in turn: the schedule is fixed by the seed.
 */
export function crowdArrivals(
  rng: SeededRandom,
  options: { readonly lanes: number; readonly perMinute: number; readonly durationMs: number },
): Arrival[] {
  const { lanes, perMinute, durationMs } = options;
  if (perMinute <= 0 || lanes <= 0) return [];
  const meanGap = 60_000 / perMinute;
  const arrivals: Arrival[] = [];
  for (let lane = 0; lane < lanes; lane++) {
    const gap = () => meanGap * rng.between(0.5, 1.5);
    // The first person arrives somewhere within the first mean gap.
    let at = meanGap * rng.next();
    while (at < durationMs) {
      arrivals.push({ at, lane });
      at += gap();
    }
  }
  return arrivals.sort((a, b) => a.at - b.at || a.lane - b.lane);
}

/** Picks a name by weight (weights need not sum to 1). */
export function weightedPick<T extends string>(rng: SeededRandom, weights: Readonly<Record<T, number>>): T {
  const entries = Object.entries(weights) as [T, number][];
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let r = rng.next() * total;
  for (const [name, w] of entries) {
    r -= w;
    if (r < 0) return name;
  }
  return (entries[entries.length - 1] as [T, number])[0];
}
