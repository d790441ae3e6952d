import { describe, expect, it } from "vitest";
import { FakeClock } from "../../platform/testing/fake-clock.js";
import { SkewedClock } from "./campus-lane.js";

describe("SkewedClock.toCampus: a gate's stamp taken back to the campus's time", () => {
  it("uses the offset in force when the stamp was made, even after the skew ended", () => {
    const campus = new FakeClock(100_000);
    const gate = new SkewedClock(campus);
    expect(gate.toCampus(gate.now())).toBe(100_000);
    campus.set(112_000);
    gate.offsetMs = 40_000;
    campus.set(113_900);
    // An apply at campus 113.9 s, stamped by the skewed gate…
    const stamp = gate.now();
    expect(stamp).toBe(153_900);
    campus.set(114_000);
    gate.offsetMs = 0;
    // …reported after the skew ended: it is still 113.9 s, not 153.9 s.
    campus.set(114_100);
    expect(gate.toCampus(stamp)).toBe(113_900);
    // A stamp made now, with no skew, is its own time.
    expect(gate.toCampus(gate.now())).toBe(114_100);
  });

  it("takes a stamp made under a clock set back (a negative offset) to its time too", () => {
    const campus = new FakeClock(200_000);
    const gate = new SkewedClock(campus);
    gate.offsetMs = -100_000;
    campus.set(201_000);
    const stamp = gate.now();
    gate.offsetMs = 0;
    campus.set(202_000);
    expect(gate.toCampus(stamp)).toBe(201_000);
  });
});
