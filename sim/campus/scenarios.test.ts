import { describe, expect, it } from "vitest";
import { type CampusPerson, generatePopulation, makePerson, type PersonKind } from "./population.js";
import { SeededRandom } from "./rng.js";
import { expectedAnswer, forgerKey, type PlannedScan, planScan, SCENARIOS } from "./scenarios.js";

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

describe("planScan", () => {
  it("shows no code of a person whose earlier code is still undecided: not theirs, not a forgery, not a screenshot", () => {
    const rng = new SeededRandom(7);
    const people = generatePopulation(rng, at(STEP), ["gate-1", "gate-2"]);
    const byKind = new Map<PersonKind, CampusPerson[]>();
    for (const p of people) byKind.set(p.kind, [...(byKind.get(p.kind) ?? []), p]);
    // Half of everyone has a code in flight.
    const busy = new Set(people.filter((_, i) => i % 2 === 0).map((p) => p.credential.id));
    const forger = forgerKey();
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const plan = planScan(
        {
          rng,
          gate: "gate-1",
          phoneStep: STEP,
          byKind,
          lastStep: new Map(),
          undecided: (credential) => busy.has(credential),
          replayable: people
            .slice(0, 20)
            .map((person) => ({ gate: "gate-2", person, text: "shot", tokenStep: STEP })),
          revokedLive: people.slice(0, 10),
          addedVisitors: [],
          night: { fromHour: 0, toHour: 24 },
        },
        forger,
        new Set(SCENARIOS),
      );
      if (plan === undefined) continue;
      seen.add(plan.scenario);
      expect(busy.has(plan.person.credential.id), `${plan.scenario} of a person with a code in flight`).toBe(
        false,
      );
    }
    // The scenarios that pick anyone at all were all tried.
    for (const scenario of ["forged", "replay_other_gate", "valid", "revoked_live"])
      expect(seen).toContain(scenario);
  });
});
