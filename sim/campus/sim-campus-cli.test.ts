import { describe, expect, it } from "vitest";
import { runCli } from "../../test/run-cli.js";

describe("passgate sim campus", () => {
  // The command's plumbing: a short, busy run with every fault (sim/campus/campus.test.ts runs the engine longer).
  it("runs headless for its duration and prints one JSON summary, exit 0", () => {
    const result = runCli([
      "sim",
      "campus",
      "--duration",
      "5",
      "--rate",
      "120",
      "--json",
      "--seed",
      "3",
      "--bridged",
      "2",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(Object.keys(summary).sort()).toEqual(
      [
        "durationMs",
        "gates",
        "lanes",
        "scans",
        "granted",
        "denied",
        "falseAccepts",
        "falseRejects",
        "latencyMicros",
        "byScenario",
        "faults",
        "relayOpens",
        "passages",
        "lateOpens",
        "falseAlarms",
        "eventsUploaded",
        "journalsVerified",
        "operators",
        "bridges",
        "revocationMs",
      ].sort(),
    );
    expect(summary).toMatchObject({
      gates: 2,
      lanes: 4,
      falseAccepts: 0,
      lateOpens: 0,
      falseAlarms: 0,
      journalsVerified: true,
    });
    expect(summary.scans).toEqual(expect.any(Number));
    // The desk's round comes before the broker restart even in 5 s: answered, and the intruder refused.
    expect(summary.operators).toMatchObject({
      signedRequests: 2,
      answeredOk: 1,
      refusedAsExpected: 1,
      failed: 0,
      intruderRequests: 3,
      intruderActedOn: 0,
    });
    // --bridged 2: the in lanes of both gates read through reader bridges, whose scans the gates answered.
    const bridges = summary.bridges as Record<string, number>;
    expect(bridges).toMatchObject({ lanes: 2 });
    expect(bridges.answered).toBeGreaterThan(0);
    expect(bridges.scansSent).toBeGreaterThanOrEqual(bridges.answered as number);
    // Revocations made in 5 s (the one at 15 % of the run), timed at each gate from its retained state.
    expect(summary.revocationMs).toEqual({
      p50: expect.any(Number),
      p99: expect.any(Number),
      max: expect.any(Number),
      gates: 2,
      revocations: expect.any(Number),
    });
    expect(summary.latencyMicros).toEqual({
      p50: expect.any(Number),
      p99: expect.any(Number),
      max: expect.any(Number),
    });
  }, 45_000);
});
