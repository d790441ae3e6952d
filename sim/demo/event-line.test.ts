import { describe, expect, it } from "vitest";
import type { CampusEvent } from "../campus/campus-events.js";
import { SCRIPT_START, scriptedEvents } from "../campus/testing/scripted-events.js";
import { formatEventLine, formatMicros, timeOfDay } from "./event-line.js";

const utc = timeOfDay("UTC");
const at = SCRIPT_START + 1234;

describe("formatEventLine", () => {
  const decision = {
    kind: "decision",
    at,
    gate: "gate-1",
    reader: "in",
    person: "p-1001",
    scenario: "valid",
    expect: "grant",
    result: "grant",
    reason: "ok",
    micros: 412.4,
  } as const;
  const cases: [string, CampusEvent, string][] = [
    [
      "scan",
      {
        kind: "scan",
        at,
        gate: "gate-1",
        reader: "in",
        person: "p-1001",
        scenario: "valid",
        expect: "grant",
      },
      "09:00:01.234 gate-1/in    scan        p-1001 valid (expect grant)",
    ],
    ["granted", decision, "09:00:01.234 gate-1/in    granted     p-1001 valid: ok 412 µs"],
    [
      "denied",
      {
        ...decision,
        scenario: "replay_other_gate",
        expect: "deny",
        result: "deny",
        reason: "replayed",
        micros: 1204,
      },
      "09:00:01.234 gate-1/in    denied      p-1001 replay_other_gate: replayed 1 204 µs",
    ],
    [
      "false accept",
      { ...decision, expect: "deny" },
      "09:00:01.234 gate-1/in    granted     p-1001 valid: ok 412 µs  FALSE ACCEPT",
    ],
    [
      "false reject",
      { ...decision, result: "deny", reason: "expired" },
      "09:00:01.234 gate-1/in    denied      p-1001 valid: expired 412 µs  false reject",
    ],
    [
      "relay",
      { kind: "relay", at, gate: "gate-2", relay: "out", on: true },
      "09:00:01.234 gate-2       relay       out on",
    ],
    [
      "turned back",
      { kind: "passage", at, gate: "gate-2", reader: "out", passed: false },
      "09:00:01.234 gate-2/out   passage     turned back",
    ],
    [
      "sync",
      { kind: "sync", at, gate: "gate-1", version: 7, ok: true },
      "09:00:01.234 gate-1       sync        allowlist v7",
    ],
    [
      "sync failed",
      { kind: "sync", at, gate: "gate-1", version: 7, ok: false, error: "registry unreachable" },
      "09:00:01.234 gate-1       sync        failed: registry unreachable (still on v7)",
    ],
    [
      "registry",
      { kind: "registry", at, change: "revoked", person: "p-3003", version: 8 },
      "09:00:01.234 registry     revoked     p-3003 → allowlist v8",
    ],
    [
      "fault",
      { kind: "fault", at, fault: "broker_restart", phase: "start", detail: "down for 2 s" },
      "09:00:01.234 fault        start       broker_restart: down for 2 s",
    ],
    [
      "the guard desk",
      {
        kind: "operator",
        at,
        gate: "gate-1",
        actor: "desk",
        request: "pulse",
        outcome: "opened for a visitor",
        ok: true,
      },
      "09:00:01.234 gate-1       desk        pulse: opened for a visitor",
    ],
    [
      "control characters from the network",
      { kind: "sync", at, gate: "gate-1", version: 1, ok: false, error: "bad\x1b[31m\nthing" },
      "09:00:01.234 gate-1       sync        failed: bad [31m thing (still on v1)",
    ],
  ];
  it.each(cases)("%s", (_name, event, line) => {
    expect(formatEventLine(event, utc)).toBe(line);
  });

  it("gives every scripted event one line without escapes", () => {
    for (const event of scriptedEvents()) {
      const line = formatEventLine(event, utc);
      expect([...line].filter((c) => c.charCodeAt(0) < 0x20)).toEqual([]);
      expect(line.split("\n")).toHaveLength(1);
    }
  });

  it("bounds a long error text", () => {
    const line = formatEventLine(
      { kind: "fault", at, fault: "x", phase: "start", detail: "e".repeat(500) },
      utc,
    );
    expect(line.length).toBeLessThan(200);
    expect(line.endsWith("…")).toBe(true);
  });
});

describe("formatMicros", () => {
  it.each([
    [0.4, "0 µs"],
    [999, "999 µs"],
    [1204.6, "1 205 µs"],
    [12_345_678, "12 345 678 µs"],
  ])("%d → %s", (micros, text) => {
    expect(formatMicros(micros)).toBe(text);
  });
});
