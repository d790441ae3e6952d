import { describe, expect, it } from "vitest";
import { keepNewest } from "./newest-kept.js";

describe("keepNewest", () => {
  it("keeps everything up to twice the bound, then the newest `max`", () => {
    const log: number[] = [];
    for (let i = 1; i <= 20; i++) keepNewest(log, i, 10);
    expect(log).toHaveLength(20);
    keepNewest(log, 21, 10);
    expect(log).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
    for (let i = 22; i <= 1_000; i++) keepNewest(log, i, 10);
    expect(log.length).toBeLessThanOrEqual(20);
    expect(log.at(-1)).toBe(1_000);
  });
});
