import { describe, expect, it } from "vitest";
import { crowdArrivals, weightedPick } from "./crowd.js";
import { SeededRandom } from "./rng.js";

describe("crowdArrivals", () => {
  it.each([
    { perMinute: 30, lanes: 4, durationMs: 60_000 },
    { perMinute: 30, lanes: 1, durationMs: 20_000 },
    { perMinute: 120, lanes: 2, durationMs: 60_000 },
  ])("keeps close to $perMinute people a minute on each of $lanes lanes over $durationMs ms", (c) => {
    const arrivals = crowdArrivals(new SeededRandom(11), c);
    const expected = (c.perMinute * c.durationMs) / 60_000;
    for (let lane = 0; lane < c.lanes; lane++) {
      const n = arrivals.filter((a) => a.lane === lane).length;
      expect(n).toBeGreaterThanOrEqual(Math.floor(expected * 0.85));
      expect(n).toBeLessThanOrEqual(Math.ceil(expected * 1.15));
    }
    expect(arrivals.every((a) => a.at >= 0 && a.at < c.durationMs)).toBe(true);
  });

  it("holds the mean rate over many seeds and varies the gaps", () => {
    let total = 0;
    const gaps = new Set<number>();
    for (let seed = 0; seed < 50; seed++) {
      const lane0 = crowdArrivals(new SeededRandom(seed), { lanes: 1, perMinute: 30, durationMs: 60_000 });
      total += lane0.length;
      for (let i = 1; i < lane0.length; i++)
        gaps.add(Math.round(((lane0[i]?.at ?? 0) - (lane0[i - 1]?.at ?? 0)) / 100));
    }
    expect(total / 50).toBeGreaterThan(29);
    expect(total / 50).toBeLessThan(31);
    // Gaps spread between 1 s and 3 s (half to one and a half times the mean of 2 s).
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(30);
    expect(gaps.size).toBeGreaterThan(15);
  });

  it("is in time order and the same for the same seed, different for another", () => {
    const options = { lanes: 4, perMinute: 30, durationMs: 30_000 };
    const a = crowdArrivals(new SeededRandom(7), options);
    expect(crowdArrivals(new SeededRandom(7), options)).toEqual(a);
    expect(crowdArrivals(new SeededRandom(8), options)).not.toEqual(a);
    expect(a.map((x) => x.at)).toEqual([...a.map((x) => x.at)].sort((x, y) => x - y));
  });

  it("makes no arrivals for a rate or lane count of zero", () => {
    expect(crowdArrivals(new SeededRandom(1), { lanes: 0, perMinute: 30, durationMs: 10_000 })).toEqual([]);
    expect(crowdArrivals(new SeededRandom(1), { lanes: 2, perMinute: 0, durationMs: 10_000 })).toEqual([]);
  });
});

describe("weightedPick", () => {
  it("picks by weight and never a name of weight 0", () => {
    const rng = new SeededRandom(3);
    const counts = { a: 0, b: 0, never: 0 };
    for (let i = 0; i < 10_000; i++) counts[weightedPick(rng, { a: 3, b: 1, never: 0 })]++;
    expect(counts.never).toBe(0);
    expect(counts.a / counts.b).toBeGreaterThan(2.6);
    expect(counts.a / counts.b).toBeLessThan(3.4);
  });
});
