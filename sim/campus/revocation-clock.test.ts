import { describe, expect, it } from "vitest";
import { RevocationClock } from "./revocation-clock.js";

describe("RevocationClock", () => {
  it("measures each revocation at each gate from the registry's change to the gate's commit", () => {
    const clock = new RevocationClock();
    clock.reported("gate-1", 1, 500);
    clock.reported("gate-2", 1, 520);
    clock.revoked(2, 1_000);
    clock.reported("gate-1", 2, 1_040);
    clock.reported("gate-2", 2, 1_300);
    clock.revoked(3, 5_000);
    clock.reported("gate-1", 3, 5_010);
    clock.reported("gate-2", 3, 5_020);
    expect(clock.summary(["gate-1", "gate-2"])).toEqual({
      p50: 20,
      p99: 300,
      max: 300,
      gates: 2,
      revocations: 2,
    });
  });

  it("lets a later version stand for a skipped one, and leaves out a gate that never applied a revocation", () => {
    const clock = new RevocationClock();
    clock.revoked(4, 1_000);
    clock.reported("gate-1", 5, 1_600);
    clock.reported("gate-2", 3, 900);
    // A report of an older version (a retained state seen late) changes nothing.
    clock.reported("gate-1", 4, 1_100);
    expect(clock.summary(["gate-1", "gate-2"])).toEqual({
      p50: 600,
      p99: 600,
      max: 600,
      gates: 1,
      revocations: 1,
    });
  });

  it("counts a change made while the registry was away from the registry's return", () => {
    const clock = new RevocationClock();
    clock.registryDown();
    clock.revoked(2, 1_000);
    clock.registryUp(9_000);
    clock.reported("gate-1", 2, 9_250);
    expect(clock.summary(["gate-1"])).toMatchObject({ p50: 250, max: 250, gates: 1 });
  });

  it("reports zeros and no gate when nothing was revoked", () => {
    const clock = new RevocationClock();
    clock.reported("gate-1", 1, 10);
    expect(clock.summary(["gate-1"])).toEqual({ p50: 0, p99: 0, max: 0, gates: 0, revocations: 0 });
  });
});
