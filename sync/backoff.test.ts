import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";
import { parseRetryAfter } from "./http-registry-client.js";

const policy = { initial: 2000, max: 600_000 };

describe("backoffDelay", () => {
  it.each([
    [1, 0, 1000],
    [1, 0.999, 1999],
    [2, 0, 2000],
    [3, 0.5, 6000],
    [12, 0, 300_000],
    [100, 0.999, 599_700],
  ])("retry %i with random %f waits %i ms", (failures, random, expected) => {
    expect(backoffDelay(policy, failures, random)).toBe(expected);
  });

  it("never waits less than the registry's Retry-After", () => {
    expect(backoffDelay(policy, 1, 0, 30_000)).toBe(30_000);
    expect(backoffDelay(policy, 1, 0, 10)).toBe(1000);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-24T09:00:00Z");
  it.each([
    [null, undefined],
    ["120", 120_000],
    ["Tue, 24 Nov 2026 09:01:00 GMT", 60_000],
    ["Tue, 24 Nov 2026 08:00:00 GMT", 0],
    ["99999999", 3_600_000],
    ["soon", undefined],
  ])("%s → %s", (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
