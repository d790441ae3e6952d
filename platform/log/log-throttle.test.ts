import { describe, expect, it } from "vitest";
import { FakeClock } from "../testing/fake-clock.js";
import { LogThrottle } from "./log-throttle.js";

describe("LogThrottle", () => {
  it("lets one line per key through per interval and reports how many were held back", () => {
    const clock = new FakeClock(0);
    const t = new LogThrottle(() => clock.now(), 1000);
    expect(t.admit("in:too_long")).toBe(0);
    expect(t.admit("in:too_long")).toBeUndefined();
    expect(t.admit("in:too_long")).toBeUndefined();
    expect(t.admit("out:too_long")).toBe(0);
    clock.advance(999);
    expect(t.admit("in:too_long")).toBeUndefined();
    clock.advance(1);
    expect(t.admit("in:too_long")).toBe(3);
    clock.advance(1000);
    expect(t.admit("in:too_long")).toBe(0);
  });
});
