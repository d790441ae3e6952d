import type { CampusEvent } from "../campus-events.js";

/** 09:00:00 UTC on the demo's test day. */
export const SCRIPT_START = Date.parse("2026-11-24T09:00:00Z");

/**
 * A short campus story of two gates with in and out lanes, every kind of event: syncs,
 * granted and denied scans, relays, passages (one turned back), a revocation, a fault
 * that starts and one still in progress. For view tests and for a scripted campus.
 */
export function scriptedEvents(start = SCRIPT_START): CampusEvent[] {
  const at = (ms: number) => start + ms;
  return [
    { kind: "sync", at: at(0), gate: "gate-1", version: 1, ok: true },
    { kind: "sync", at: at(5), gate: "gate-2", version: 1, ok: true },
    {
      kind: "scan",
      at: at(1000),
      gate: "gate-1",
      reader: "in",
      person: "p-1001",
      scenario: "valid",
      expect: "grant",
    },
    {
      kind: "decision",
      at: at(1001),
      gate: "gate-1",
      reader: "in",
      person: "p-1001",
      scenario: "valid",
      expect: "grant",
      result: "grant",
      reason: "ok",
      micros: 412.4,
    },
    { kind: "relay", at: at(1002), gate: "gate-1", relay: "in", on: true },
    { kind: "passage", at: at(1600), gate: "gate-1", reader: "in", passed: true },
    { kind: "relay", at: at(2002), gate: "gate-1", relay: "in", on: false },
    {
      kind: "scan",
      at: at(2500),
      gate: "gate-2",
      reader: "in",
      person: "p-1001",
      scenario: "replay_other_gate",
      expect: "deny",
    },
    {
      kind: "decision",
      at: at(2501),
      gate: "gate-2",
      reader: "in",
      person: "p-1001",
      scenario: "replay_other_gate",
      expect: "deny",
      result: "deny",
      reason: "replayed",
      micros: 1204,
    },
    {
      kind: "scan",
      at: at(3000),
      gate: "gate-2",
      reader: "out",
      person: "p-2002",
      scenario: "expired",
      expect: "deny",
    },
    {
      kind: "decision",
      at: at(3001),
      gate: "gate-2",
      reader: "out",
      person: "p-2002",
      scenario: "expired",
      expect: "deny",
      result: "deny",
      reason: "expired",
      micros: 230,
    },
    { kind: "registry", at: at(3500), change: "revoked", person: "p-3003", version: 2 },
    { kind: "sync", at: at(3600), gate: "gate-1", version: 2, ok: true },
    {
      kind: "fault",
      at: at(4000),
      fault: "registry_down",
      phase: "start",
      detail: "registry refuses for 3 s",
    },
    { kind: "sync", at: at(4100), gate: "gate-2", version: 1, ok: false, error: "registry unreachable" },
    {
      kind: "scan",
      at: at(4500),
      gate: "gate-1",
      reader: "out",
      person: "p-4004",
      scenario: "valid",
      expect: "grant",
    },
    {
      kind: "decision",
      at: at(4501),
      gate: "gate-1",
      reader: "out",
      person: "p-4004",
      scenario: "valid",
      expect: "grant",
      result: "grant",
      reason: "ok",
      micros: 350,
    },
    { kind: "relay", at: at(4502), gate: "gate-1", relay: "out", on: true },
    { kind: "fault", at: at(5000), fault: "registry_down", phase: "end" },
    { kind: "passage", at: at(5400), gate: "gate-1", reader: "out", passed: false },
    { kind: "fault", at: at(6000), fault: "broker_restart", phase: "start" },
  ];
}
