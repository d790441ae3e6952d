import { describe, expect, it } from "vitest";
import { againstFloor, percentile } from "./bench-result.js";

describe("againstFloor", () => {
  it("gives the line's n, p50 and p99 beside the floor's, and the ratio of the p99s", () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 + i); // 100..199 µs
    const floor = Array.from({ length: 200 }, (_, i) => 50 + i / 2); // 50..149.5 µs
    expect(againstFloor("x", samples, floor)).toEqual({
      name: "x",
      n: 100,
      p50_us: 149,
      p99_us: 198,
      floor_p50_us: 99.5,
      floor_p99_us: 148.5,
      ratio: 198 / 148.5,
    });
  });

  it("leaves a line with no samples at NaN rather than at a number that looks measured", () => {
    const line = againstFloor("empty", [], [10]);
    expect(line.n).toBe(0);
    expect(line.p99_us).toBeNaN();
    expect(line.ratio).toBeNaN();
    expect(percentile([], 0.5)).toBeNaN();
  });
});
