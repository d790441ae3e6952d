import { describe, expect, it } from "vitest";
import {
  type BridgeSummary,
  type CampusRecord,
  type CampusSummary,
  campusPassed,
  type DecidedScan,
  type OperatorSummary,
  percentile,
  summarize,
} from "./summary.js";
import { formatCampusSummary } from "./summary-table.js";

const operators: OperatorSummary = {
  signedRequests: 2,
  answeredOk: 1,
  refusedAsExpected: 1,
  explainedByFault: 0,
  failed: 0,
  intruderRequests: 3,
  intruderActedOn: 0,
  gateRefusals: { "request-pulse:unsigned": 1, "request-mode:unsigned": 1, "request-pulse:bad_signature": 1 },
};

const bridges: BridgeSummary = {
  lanes: 1,
  scansSent: 10,
  answered: 9,
  noAnswer: 1,
  dropped: 0,
  unexplained: 0,
};

const record = (decisions: DecidedScan[], extra: Partial<CampusRecord> = {}): CampusRecord => ({
  durationMs: 20_000,
  gates: 2,
  lanes: 4,
  decisions,
  forced: { rotations: 0, alarms: 0, falseAlarms: 0 },
  faults: [],
  relayOpens: 0,
  passages: 0,
  lateOpens: 0,
  eventsUploaded: 0,
  journalsVerified: true,
  operators,
  bridges,
  revocationMs: { p50: 120, p99: 480, max: 510, gates: 2, revocations: 3 },
  ...extra,
});
const d = (
  scenario: string,
  expect: "grant" | "deny",
  result: "grant" | "deny",
  reason = result === "grant" ? "ok" : "expired",
  micros = 100,
  explainedBy?: string,
): DecidedScan => ({ scenario, expect, result, reason, micros, explainedBy });

describe("summarize", () => {
  it.each([
    { name: "nothing decided", decisions: [], scans: 0, granted: 0, fa: 0, fr: 0 },
    {
      name: "right answers",
      decisions: [d("valid", "grant", "grant"), d("forged", "deny", "deny")],
      scans: 2,
      granted: 1,
      fa: 0,
      fr: 0,
    },
    {
      name: "a grant where a deny was expected",
      decisions: [d("replay_other_gate", "deny", "grant")],
      scans: 1,
      granted: 1,
      fa: 1,
      fr: 0,
    },
    {
      name: "a deny where a grant was expected",
      decisions: [d("valid", "grant", "deny", "relay_offline")],
      scans: 1,
      granted: 0,
      fa: 0,
      fr: 1,
    },
    {
      name: "a deny a fault explains",
      decisions: [d("valid", "grant", "deny", "relay_offline", 100, "broker_restart")],
      scans: 1,
      granted: 0,
      fa: 0,
      fr: 0,
    },
    {
      name: "a mix",
      decisions: [
        d("valid", "grant", "grant"),
        d("valid", "grant", "deny", "expired"),
        d("revoked_live", "deny", "grant"),
        d("revoked_live", "deny", "deny", "revoked"),
        d("revoked_live", "grant", "grant"),
      ],
      scans: 5,
      granted: 3,
      fa: 1,
      fr: 1,
    },
  ])("$name", ({ decisions, scans, granted, fa, fr }) => {
    const s = summarize(record(decisions));
    expect(s.scans).toBe(scans);
    expect(s.granted).toBe(granted);
    expect(s.falseAccepts).toBe(fa);
    expect(s.falseRejects).toBe(fr);
    expect(Object.values(s.denied).reduce((a, b) => a + b, 0)).toBe(scans - granted);
  });

  it("counts denials by reason and scans by scenario", () => {
    const s = summarize(
      record([
        d("valid", "grant", "grant"),
        d("expired_code", "deny", "deny", "expired"),
        d("expired_code", "deny", "deny", "expired"),
        d("forged", "deny", "deny", "bad_signature"),
      ]),
    );
    expect(s.denied).toEqual({ expired: 2, bad_signature: 1 });
    expect(s.byScenario).toEqual({
      valid: { scans: 1, granted: 1, denied: 0 },
      expired_code: { scans: 2, granted: 0, denied: 2 },
      forged: { scans: 1, granted: 0, denied: 1 },
    });
  });

  it("shows forced passages as rotations, with the alarms as their denials", () => {
    const s = summarize(record([], { forced: { rotations: 3, alarms: 2, falseAlarms: 1 } }));
    expect(s.byScenario.forced_passage).toEqual({ scans: 3, granted: 1, denied: 2 });
    expect(s.scans).toBe(0);
  });

  it("takes latency percentiles by nearest rank over the gates' decision times", () => {
    const decisions = Array.from({ length: 100 }, (_, i) => d("valid", "grant", "grant", "ok", i + 1));
    expect(summarize(record(decisions)).latencyMicros).toEqual({ p50: 50, p99: 99, max: 100 });
    expect(summarize(record([d("valid", "grant", "grant", "ok", 412.6)])).latencyMicros).toEqual({
      p50: 413,
      p99: 413,
      max: 413,
    });
  });

  it("passes through what it does not count", () => {
    const faults = [{ fault: "broker_restart", at: 5, detail: "down 1500 ms" }];
    const s = summarize(
      record([], {
        faults,
        relayOpens: 7,
        passages: 6,
        lateOpens: 1,
        eventsUploaded: 9,
        journalsVerified: false,
      }),
    );
    expect(s.operators).toEqual(operators);
    expect(s.bridges).toEqual(bridges);
    expect(s).toMatchObject({
      faults,
      relayOpens: 7,
      passages: 6,
      lateOpens: 1,
      eventsUploaded: 9,
      journalsVerified: false,
    });
    expect(s).toMatchObject({ durationMs: 20_000, gates: 2, lanes: 4 });
  });
});

describe("campusPassed and the table", () => {
  const passing = summarize(record([d("valid", "grant", "grant")]));
  const withOperators = (o: Partial<OperatorSummary>): CampusSummary => ({
    ...passing,
    operators: { ...operators, ...o },
  });

  it("passes a run whose desk was answered and whose intruder got nothing, and says so in the table", () => {
    expect(campusPassed(passing)).toBe(true);
    const text = formatCampusSummary(passing);
    expect(text).toContain(
      "guard desk: 2 signed requests, 1 opens answered ok, 1 mode changes refused as expected, 0 explained by faults, 0 failed",
    );
    expect(text).toContain("intruder: 3 unsigned or forged requests, 0 acted on");
    expect(text).toContain(
      'bridges: 1 bridged lanes, 10 scans sent, 9 answered, 1 no answer, 0 dropped as stale (0 "try again" outside a fault)',
    );
    expect(text).toMatch(/request-pulse:bad_signature\s+1/);
    expect(text.trimEnd().split("\n").at(-1)).toBe(
      "ok: no false accept, no late open, journals verified, operators answered, intruder refused",
    );
  });

  it.each([
    { name: "the intruder was acted on", o: { intruderActedOn: 1 }, problem: "1 intruder requests acted on" },
    {
      name: "a desk request went wrong",
      o: { failed: 1 },
      problem: "1 desk requests not answered as expected",
    },
  ])("fails a run where $name", ({ o, problem }) => {
    const s = withOperators(o);
    expect(campusPassed(s)).toBe(false);
    expect(formatCampusSummary(s).trimEnd().split("\n").at(-1)).toBe(`FAILED: ${problem}`);
  });

  it("keeps its verdict when bridges played 'try again': those scans were never decided, so neither accepted nor rejected", () => {
    const s = { ...passing, bridges: { ...bridges, noAnswer: 3, dropped: 2, unexplained: 1 } };
    expect(campusPassed(s)).toBe(true);
    expect(formatCampusSummary(s).trimEnd().split("\n").at(-1)).toMatch(/^ok: /);
  });

  it("passes a run where a fault explains the desk's missing answer", () => {
    expect(campusPassed(withOperators({ answeredOk: 0, explainedByFault: 1 }))).toBe(true);
  });
});

describe("percentile", () => {
  it.each([
    { values: [], p: 0.5, want: 0 },
    { values: [7], p: 0.99, want: 7 },
    { values: [1, 2, 3, 4], p: 0.5, want: 2 },
    { values: [1, 2, 3, 4], p: 0.99, want: 4 },
    { values: [1, 2, 3, 4], p: 0, want: 1 },
  ])("p$p of $values is $want", ({ values, p, want }) => {
    expect(percentile(values, p)).toBe(want);
  });
});
