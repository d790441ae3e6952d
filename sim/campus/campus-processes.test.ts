import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../../platform/log/logger.js";
import { startCampus } from "./campus.js";
import type { CampusEvent } from "./campus-events.js";

const dir = mkdtempSync(join(tmpdir(), "passgate-campus-processes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("startCampus with gate processes", () => {
  // Three `passgate run` processes (the built CLI) on the embedded broker; the run's faults
  // include one gate process killed with SIGKILL and started again.
  it("judges every decision from the gates' events, kills and restarts a gate, and times each revocation at every gate", async () => {
    const campus = await startCampus({
      dir,
      gates: 3,
      processes: true,
      durationMs: 30_000,
      peoplePerMinutePerLane: 60,
      seed: 11,
      logger: createLogger({ level: "silent" }),
    });
    const events: CampusEvent[] = [];
    campus.onEvent((e) => events.push(e));
    // A revocation by hand besides the scheduled ones: it must reach every gate too.
    await campus.revoke("p-10001");
    const summary = await campus.done;

    expect(summary.falseAccepts).toBe(0);
    expect(summary.lateOpens).toBe(0);
    expect(summary.journalsVerified).toBe(true);
    expect(summary.operators.failed).toBe(0);
    expect(summary.operators.intruderActedOn).toBe(0);
    expect(summary.gates).toBe(3);
    expect(summary.scans).toBeGreaterThan(20);
    // Each decision was learnt from a gate's event and matched to the scan the crowd showed.
    expect(events.filter((e) => e.kind === "decision").length).toBe(summary.scans);
    expect(summary.byScenario.replay_other_gate?.granted ?? 0).toBe(0);
    // The gates' own decision times, from their events.
    expect(summary.latencyMicros.p50).toBeGreaterThan(0);
    expect(summary.latencyMicros.p50).toBeLessThanOrEqual(summary.latencyMicros.p99);

    // The revocation by hand and the scheduled ones, each applied by all 3 gates.
    expect(summary.revocationMs.revocations).toBeGreaterThanOrEqual(2);
    expect(summary.revocationMs.gates).toBe(3);
    expect(summary.revocationMs.p50).toBeGreaterThanOrEqual(0);
    expect(summary.revocationMs.p50).toBeLessThanOrEqual(summary.revocationMs.p99);
    expect(summary.revocationMs.p99).toBeLessThanOrEqual(summary.revocationMs.max);
    // Every gate polls every 5 s besides the push; a killed gate pulls when it is back.
    expect(summary.revocationMs.max).toBeLessThan(30_000);

    // One gate process was killed and started again, and it decided again after.
    const restart = summary.faults.find((f) => f.fault === "gate_restart");
    expect(restart?.detail).toMatch(/^gate-\d process killed \(SIGKILL\), started again after \d+ ms/);
    const restarted = /^(gate-\d)/.exec(restart?.detail ?? "")?.[1] as string;
    const back = events.find((e) => e.kind === "fault" && e.fault === "gate_restart" && e.phase === "end");
    expect(back).toBeDefined();
    const after = events.filter(
      (e) => e.kind === "decision" && e.gate === restarted && e.at > (back?.at ?? Number.POSITIVE_INFINITY),
    );
    expect(after.length).toBeGreaterThan(0);
    expect(summary.gateProcesses).toMatchObject({ count: 3, restarts: 1 });
    expect(summary.gateProcesses?.decidedAfterRestart).toBeGreaterThan(0);
    // Memory from each process's /proc status: resident, and the anonymous part of it.
    expect(summary.gateProcesses?.rssMiB.mean).toBeGreaterThan(10);
    expect(summary.gateProcesses?.rssAnonMiB.mean).toBeGreaterThan(0);
    expect(summary.gateProcesses?.rssAnonMiB.max).toBeLessThanOrEqual(summary.gateProcesses?.rssMiB.max ?? 0);
    // A process gate keeps the machine's clock: the skews are skipped, and said so.
    expect(summary.faults.find((f) => f.fault === "clock_skew_beyond")?.detail).toMatch(/^skipped/);
    // Each gate wrote its own log beside its config.
    for (const g of campus.gates) expect(existsSync(join(g.configPath, "..", "gate.log"))).toBe(true);
  }, 240_000);
});
