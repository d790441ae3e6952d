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

describe("FaultRunner.overdue: a fault the run's end must see through", () => {
  /** A registry that comes back only when the test lets it, as a slow machine would. */
  function slowRegistry() {
    let release: () => void = () => {};
    const back = new Promise<void>((resolve) => {
      release = resolve;
    });
    const registry = { stop: async () => undefined, start: () => back };
    return { registry, release };
  }

  it("is a fault still under way after its schedule ended it, not one scheduled to last longer", async () => {
    const { registry, release } = slowRegistry();
    const events: unknown[] = [];
    const faults = new FaultRunner({
      registry,
      registryPort: 1,
      now: () => Date.now(),
      emit: (e: unknown) => events.push(e),
    } as unknown as FaultTargets);
    expect(faults.overdue()).toBe(false);
    const injectedAt = Date.now();
    faults.inject({ at: 0, fault: "registry_down", lastsMs: 50 });
    // Within its 50 ms: under way, as scheduled.
    expect(faults.overdue(injectedAt + 40)).toBe(false);
    // Past its 50 ms, the registry not back yet: overdue.
    expect(faults.overdue(injectedAt + 60)).toBe(true);
    release();
    await faults.settle();
    expect(faults.overdue(injectedAt + 60)).toBe(false);
    expect(faults.record.map((r) => r.fault)).toEqual(["registry_down"]);
  });
});
