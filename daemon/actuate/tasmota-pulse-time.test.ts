import { describe, expect, it } from "vitest";
import { tasmotaPulseMs, tasmotaPulseTime } from "./tasmota-pulse-time.js";

describe("tasmotaPulseTime", () => {
  it.each([
    [50, 1],
    [100, 1],
    [1000, 10],
    [1500, 15],
    [11_100, 111],
    [11_200, 112],
    [12_000, 112],
    [60_000, 160],
    [99_000_000, 64_900],
  ])("%i ms → %i", (ms, value) => {
    expect(tasmotaPulseTime(ms)).toBe(value);
  });

  it("maps values back to the pulse they stand for", () => {
    expect(tasmotaPulseMs(15)).toBe(1500);
    expect(tasmotaPulseMs(111)).toBe(11_100);
    expect(tasmotaPulseMs(112)).toBe(12_000);
  });
});
