import { describe, expect, it } from "vitest";
import type { CampusSummary } from "../campus/campus.js";
import { formatDemoSummary, formatDuration, withoutCredentials } from "./demo-summary.js";

const summary: CampusSummary = {
  scans: 240,
  granted: 180,
  denied: { replayed: 20, expired: 25, revoked: 15 },
  falseAccepts: 0,
  falseRejects: 1,
  latencyMicros: { p50: 412, p99: 1204, max: 3100 },
  relayOpens: 180,
  passages: 170,
  lateOpens: 0,
  falseAlarms: 0,
  eventsUploaded: 240,
  journalsVerified: true,
  bridges: { lanes: 1, scansSent: 60, answered: 59, noAnswer: 1, dropped: 0, unexplained: 0 },
  revocationMs: { p50: 150, p99: 700, max: 900, gates: 2, revocations: 3 },
  operators: {
    signedRequests: 6,
    answeredOk: 3,
    refusedAsExpected: 3,
    explainedByFault: 0,
    failed: 0,
    intruderRequests: 9,
    intruderActedOn: 0,
    gateRefusals: {
      "request-pulse:unsigned": 3,
      "request-mode:unsigned": 3,
      "request-pulse:bad_signature": 3,
    },
  },
  byScenario: {
    valid: { scans: 180, granted: 180, denied: 0 },
    replay_other_gate: { scans: 20, granted: 0, denied: 20 },
  },
  faults: [
    { fault: "registry_down", at: 1 },
    { fault: "broker_restart", at: 2, detail: "2 s" },
    { fault: "registry_down", at: 3 },
  ],
  durationMs: 125_000,
  gates: 2,
  lanes: 4,
};

const gates = [
  { id: "gate-1", configPath: "/work/var/demo/gate-1.yaml" },
  { id: "gate-2", configPath: "/work/var/demo/gate-2.yaml" },
];

describe("formatDemoSummary", () => {
  it("gives the totals, the site and commands to try, paths relative to the working directory", () => {
    const text = formatDemoSummary(summary, {
      dir: "/work/var/demo",
      gates,
      brokerUrl: "mqtt://127.0.0.1:41883",
      interrupted: true,
      cwd: "/work",
    });
    expect(text.split("\n")).toEqual([
      "",
      "passgate demo stopped after 2 min 5 s: 2 gates, 4 lanes, broker mqtt://127.0.0.1:41883",
      "  scans 240   granted 180   denied 60   false accepts 0   false rejects 1",
      "  denied by reason: expired 25, replayed 20, revoked 15",
      "  decision latency: p50 412 µs, p99 1 204 µs, max 3 100 µs",
      "  relay opens 180   passages 170   late opens 0   events uploaded 240   journals verified",
      "  scenarios: valid 180 (180 granted), replay_other_gate 20 (0 granted)",
      "  faults injected: registry_down ×2, broker_restart ×1",
      "  guard desk: 6 signed requests, 3 opens answered ok, 3 mode changes refused as expected; intruder: 9 requests, 0 acted on",
      "  reader bridges: 1 bridged lanes, 60 scans sent, 59 answered, 1 no answer, 0 dropped as stale",
      "",
      "The demo site is in var/demo: each gate's config and SQLite database, and gates.log (the gates' logs).",
      "  gate-1: var/demo/gate-1.yaml",
      "  gate-2: var/demo/gate-2.yaml",
      "Try:",
      "  passgate -c var/demo/gate-1.yaml journal tail",
      "  passgate -c var/demo/gate-1.yaml journal verify",
      "  passgate -c var/demo/gate-2.yaml allowlist stats",
      "(inside the repo: npm run passgate -- <command>, or node bin/passgate.js <command>)",
      "",
    ]);
  });

  it("keeps absolute paths outside the working directory and shouts about a false accept", () => {
    const text = formatDemoSummary(
      { ...summary, falseAccepts: 1 },
      { dir: "/work/var/demo", gates, brokerUrl: "mqtt://x", interrupted: false, cwd: "/elsewhere" },
    );
    expect(text).toContain("passgate demo finished after");
    expect(text).toContain("The demo site is in /work/var/demo:");
    expect(text).toContain("A GATE GRANTED SOMEONE IT SHOULD HAVE REFUSED");
    expect(text).not.toContain("\x1b");
  });

  it("shouts about a request a gate took from the intruder", () => {
    const text = formatDemoSummary(
      { ...summary, operators: { ...summary.operators, intruderActedOn: 1 } },
      { dir: "/work/var/demo", gates, brokerUrl: "mqtt://x", interrupted: false, cwd: "/work" },
    );
    expect(text).toContain("intruder: 9 requests, 1 acted on");
    expect(text).toContain("A GATE ACTED ON A REQUEST NO OPERATOR SIGNED");
  });
});

describe("formatDuration", () => {
  it.each([
    [8000, "8 s"],
    [125_000, "2 min 5 s"],
    [3_780_000, "1 h 3 min"],
  ])("%i ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("withoutCredentials", () => {
  it.each([
    ["mqtt://127.0.0.1:1883", "mqtt://127.0.0.1:1883"],
    ["mqtt://gate:s3cret@broker.campus:1883", "mqtt://broker.campus:1883"],
    ["not a url", "(unparsable broker URL)"],
  ])("%s → %s", (url, shown) => {
    expect(withoutCredentials(url)).toBe(shown);
  });
});
