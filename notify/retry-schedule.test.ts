import { describe, expect, it } from "vitest";
import { nextAttemptAt } from "./retry-schedule.js";

const settings = { firstMs: 5_000, maxMs: 30 * 60_000, giveUpAfterMs: 24 * 3_600_000 };

describe("nextAttemptAt", () => {
  it("doubles the wait from the first, with half of it random", () => {
    expect(nextAttemptAt(settings, 1, 0, 0, () => 0)).toBe(2_500);
    expect(nextAttemptAt(settings, 1, 0, 0, () => 0.999_999)).toBe(5_000);
    expect(nextAttemptAt(settings, 2, 0, 0, () => 0)).toBe(5_000);
    expect(nextAttemptAt(settings, 4, 0, 0, () => 0)).toBe(20_000);
  });

  it("never waits longer than the most, however many attempts failed", () => {
    expect(nextAttemptAt(settings, 100, 0, 0, () => 0.999_999)).toBeLessThanOrEqual(30 * 60_000);
    expect(nextAttemptAt(settings, 100, 0, 0, () => 0.999_999)).toBeGreaterThan(30 * 60_000 - 10);
    expect(nextAttemptAt(settings, 100, 0, 0, () => 0)).toBe(15 * 60_000);
  });

  it("gives up once the next attempt would come after the limit", () => {
    const created = 0;
    const late = 24 * 3_600_000 - 60_000;
    expect(nextAttemptAt(settings, 50, created, late, () => 0)).toBeUndefined();
    expect(nextAttemptAt(settings, 1, created, late, () => 0)).toBe(late + 2_500);
  });
});
