import { describe, expect, it } from "vitest";
import { makePerson } from "./population.js";
import { expectedAnswer, type PlannedScan } from "./scenarios.js";

const STEP = 60_000_000;
const at = (step: number, intoStepMs = 1_000) => step * 30_000 + intoStepMs;
const student = makePerson("student", "10001", "ed25519", at(STEP));
const scan = (over: Partial<PlannedScan> = {}): PlannedScan => ({
  scenario: "valid",
  person: student,
  text: "",
  tokenStep: STEP,
  genuine: true,
  admits: () => true,
  passes: true,
  ...over,
});
const gate = (over: { now?: number; version?: number } = {}) => ({
  now: over.now ?? at(STEP),
  version: over.version ?? 1,
  window: 2,
});

describe("expectedAnswer", () => {
  it.each([
    { name: "a valid code", scan: scan(), gate: gate(), history: { addedIn: 1 }, want: "grant" },
    {
      name: "a forged code",
      scan: scan({ genuine: false }),
      gate: gate(),
      history: { addedIn: 1 },
      want: "deny",
    },
    {
      name: "a code 4 steps old",
      scan: scan({ tokenStep: STEP - 4 }),
      gate: gate(),
      history: { addedIn: 1 },
      want: "deny",
    },
    {
      name: "a code 2 steps old (the window)",
      scan: scan({ tokenStep: STEP - 2 }),
      gate: gate(),
      history: { addedIn: 1 },
      want: "grant",
    },
    {
      name: "a gate 40 s ahead (within the window)",
      scan: scan(),
      gate: gate({ now: at(STEP) + 40_000 }),
      history: { addedIn: 1 },
      want: "grant",
    },
    {
      name: "a gate 100 s ahead (beyond the window)",
      scan: scan(),
      gate: gate({ now: at(STEP) + 100_000 }),
      history: { addedIn: 1 },
      want: "deny",
    },
    {
      name: "an old code at a gate whose clock is 100 s behind",
      scan: scan({ tokenStep: STEP - 4 }),
      gate: gate({ now: at(STEP) - 100_000 }),
      history: { addedIn: 1 },
      want: "grant",
    },
    {
      name: "revoked in v3, gate at v2 (not received yet)",
      scan: scan(),
      gate: gate({ version: 2 }),
      history: { addedIn: 1, revokedIn: 3 },
      want: "grant",
    },
    {
      name: "revoked in v3, gate at v3",
      scan: scan(),
      gate: gate({ version: 3 }),
      history: { addedIn: 1, revokedIn: 3 },
      want: "deny",
    },
    {
      name: "added in v4, gate at v3",
      scan: scan(),
      gate: gate({ version: 3 }),
      history: { addedIn: 4 },
      want: "deny",
    },
    {
      name: "added in v4, gate at v4",
      scan: scan(),
      gate: gate({ version: 4 }),
      history: { addedIn: 4 },
      want: "grant",
    },
    {
      name: "the policy does not admit",
      scan: scan({ admits: () => false }),
      gate: gate(),
      history: { addedIn: 1 },
      want: "deny",
    },
  ])("$name: $want", ({ scan, gate, history, want }) => {
    expect(expectedAnswer(scan, gate, history)).toBe(want);
  });
});
