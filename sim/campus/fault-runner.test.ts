import { describe, expect, it } from "vitest";
import { FaultRunner, type FaultTargets } from "./fault-runner.js";

describe("FaultRunner.shareSettled: when a screenshot of any earlier grant must be refused", () => {
  // Only the broker's and the gates' up times are read.
  const runner = () => new FaultRunner({} as FaultTargets);

  it("is settled with nothing restarted", () => {
    expect(runner().shareSettled("gate-1", 1_796_000_000_000)).toBe(true);
  });

  it("waits 3 s after the broker came back, and not while it is away", () => {
    const faults = runner();
    faults.brokerDown = true;
    expect(faults.shareSettled("gate-1", 100_000)).toBe(false);
    faults.brokerDown = false;
    faults.brokerUpSince = 100_000;
    expect(faults.shareSettled("gate-1", 102_999)).toBe(false);
    expect(faults.shareSettled("gate-1", 103_000)).toBe(true);
  });

  it("waits 3 s after a restarted gate came back online, for that gate only", () => {
    const faults = runner();
    faults.gateUpSince.set("gate-2", 50_000);
    expect(faults.shareSettled("gate-2", 52_000)).toBe(false);
    expect(faults.shareSettled("gate-1", 52_000)).toBe(true);
    expect(faults.shareSettled("gate-2", 53_000)).toBe(true);
  });
});
