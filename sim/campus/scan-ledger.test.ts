import { describe, expect, it } from "vitest";
import { explainingFault } from "./faults.js";
import { makePerson } from "./population.js";
import { type PendingScan, ScanLedger } from "./scan-ledger.js";
import type { PlannedScan } from "./scenarios.js";

const person = makePerson("student", "10001", "totp", 0);
const other = makePerson("staff", "10002", "totp", 0);
const plan = (p = person, text = "code"): PlannedScan => ({
  scenario: "valid",
  person: p,
  text,
  tokenStep: 1,
  genuine: true,
  admits: () => true,
  passes: true,
});
const pending = (shownAt: number, p = person, gate = "gate-1"): PendingScan => ({
  plan: plan(p, `code-${shownAt}`),
  gate,
  reader: "in",
  shownAt,
  version: 1,
});

describe("ScanLedger", () => {
  it("answers a gate process's decision by the credential it names: the oldest such scan at that lane", () => {
    const ledger = new ScanLedger();
    const a = pending(1_000);
    const b = pending(1_100, other);
    const c = pending(1_200);
    ledger.shown(a);
    ledger.shown(b);
    ledger.shown(c);
    const byCredential = (id: string) => (p: PendingScan) => p.plan.person.credential.id === id;
    expect(ledger.answerWhere("gate-1", "in", byCredential(other.credential.id), 1_300)).toBe(b);
    expect(ledger.answerWhere("gate-1", "in", byCredential(person.credential.id), 1_300)).toBe(a);
    expect(ledger.answerWhere("gate-1", "out", byCredential(person.credential.id), 1_300)).toBeUndefined();
    expect(ledger.unmatched).toBe(1);
    expect(ledger.unanswered()).toBe(1);
  });

  it("answers a decision with the oldest scan of that text at that lane", () => {
    const ledger = new ScanLedger();
    const a = pending(1_000);
    const b = pending(1_100, other);
    ledger.shown(a);
    ledger.shown(b);
    expect(ledger.answer("gate-1", "in", "code-1100", 1_200)).toBe(b);
    expect(ledger.answer("gate-1", "out", "code-1000", 1_200)).toBeUndefined();
    expect(ledger.unmatched).toBe(1);
    expect(ledger.answer("gate-1", "in", "code-1000", 1_200)).toBe(a);
    expect(ledger.unanswered()).toBe(0);
  });

  it("counts scans left without a decision for 10 s as lost", () => {
    const ledger = new ScanLedger();
    ledger.shown(pending(0, other));
    ledger.shown(pending(11_000));
    ledger.answer("gate-1", "in", "code-11000", 11_100);
    expect(ledger.lost).toBe(1);
    expect(ledger.busy("gate-1", "in")).toBe(false);
  });

  it("gives a late decision to the oldest scan of that person at the lane, even one already counted lost", () => {
    const ledger = new ScanLedger();
    const byCredential = (id: string) => (p: PendingScan) => p.plan.person.credential.id === id;
    const real = pending(0);
    ledger.shown(real);
    ledger.shown(pending(500, other));
    // 11 s on, the other person's decision comes: the real scan has waited too long, lost.
    ledger.answerWhere("gate-1", "in", byCredential(other.credential.id), 11_000);
    expect(ledger.lost).toBe(1);
    // The same person shows a forged code; the gate then decides the real scan, far behind.
    const forged = pending(12_000);
    ledger.shown(forged);
    expect(ledger.answerWhere("gate-1", "in", byCredential(person.credential.id), 13_000)).toBe(real);
    expect(ledger.lost).toBe(0);
    expect(ledger.answerWhere("gate-1", "in", byCredential(person.credential.id), 13_500)).toBe(forged);
    // Past two minutes a lost scan is not matched any more.
    ledger.shown(pending(20_000));
    ledger.shown(pending(20_500, other));
    ledger.answerWhere("gate-1", "in", byCredential(other.credential.id), 31_000);
    expect(ledger.lost).toBe(1);
    ledger.shown(pending(160_000));
    expect(ledger.answerWhere("gate-1", "in", byCredential(person.credential.id), 160_100)?.shownAt).toBe(
      160_000,
    );
    expect(ledger.lost).toBe(1);
  });

  it.each([
    { name: "an open 300 ms after its scan", grants: [1_000], opens: [1_300], late: 0 },
    { name: "an open 2.5 s after its scan", grants: [1_000], opens: [3_500], late: 1 },
    { name: "an open with no grant before it", grants: [5_000], opens: [1_000], late: 1 },
    { name: "two grants, each opened in time", grants: [1_000, 2_000], opens: [1_200, 2_300], late: 0 },
    { name: "a second open long after the only grant", grants: [1_000], opens: [1_100, 4_000], late: 1 },
  ])("late opens: $name → $late", ({ grants, opens, late }) => {
    const ledger = new ScanLedger();
    for (const at of grants) ledger.granted(pending(at), at + 5);
    expect(
      ledger.lateOpens(
        "gate-1",
        "in",
        opens.map((at) => ({ at })),
        2_000,
      ),
    ).toBe(late);
  });

  it("holds a credential undecided while any of its codes waits for a decision, up to 2 min after it was shown", () => {
    const ledger = new ScanLedger();
    const id = person.credential.id;
    expect(ledger.undecided(id, 0)).toBe(false);
    ledger.shown(pending(1_000));
    ledger.shown(pending(1_000, person, "gate-2"));
    expect(ledger.undecided(id, 1_100)).toBe(true);
    expect(ledger.undecided(other.credential.id, 1_100)).toBe(false);
    // One decided: the other, at gate-2, still waits.
    expect(ledger.answer("gate-1", "in", "code-1000", 1_200)).toBeDefined();
    expect(ledger.undecided(id, 1_200)).toBe(true);
    // Counted lost at 10 s, it still holds the credential: its decision may yet come.
    ledger.shown(pending(20_000, other, "gate-2"));
    ledger.answer("gate-2", "in", "code-20000", 20_100);
    expect(ledger.lost).toBe(1);
    expect(ledger.undecided(id, 120_000)).toBe(true);
    // 2 min after it was shown nothing can match it any more.
    expect(ledger.undecided(id, 1_000 + 130_001)).toBe(false);
  });

  it("frees a credential once its late decision comes", () => {
    const ledger = new ScanLedger();
    const id = person.credential.id;
    ledger.shown(pending(0));
    ledger.shown(pending(11_000, other));
    ledger.answer("gate-1", "in", "code-11000", 11_100);
    expect(ledger.undecided(id, 11_100)).toBe(true);
    expect(ledger.answer("gate-1", "in", "code-0", 30_000)).toBeDefined();
    expect(ledger.undecided(id, 30_000)).toBe(false);
  });

  it("offers a screenshot of another gate's grant once, after it had time to be shared", () => {
    const ledger = new ScanLedger();
    ledger.granted(pending(1_000, person, "gate-1"), 1_000);
    expect(ledger.screenshots("gate-1", 5_000, 0)).toEqual([]);
    expect(ledger.screenshots("gate-2", 1_200, 0)).toEqual([]);
    // Not across a broker restart that ended after the grant.
    expect(ledger.screenshots("gate-2", 5_000, 2_000)).toEqual([]);
    const [shot] = ledger.screenshots("gate-2", 5_000, 0);
    expect(shot?.gate).toBe("gate-1");
    ledger.useScreenshot(shot?.text ?? "");
    expect(ledger.screenshots("gate-2", 5_000, 0)).toEqual([]);
  });
});

describe("explainingFault", () => {
  const windows = [
    { fault: "broker_restart" as const, from: 10_000, to: 11_500 },
    { fault: "clock_skew_beyond" as const, gate: "gate-2", from: 20_000, to: 22_000 },
    { fault: "bridge_unplug" as const, gate: "gate-1", from: 30_000, to: 32_000 },
  ];
  it.each([
    { reason: "relay_offline", gate: "gate-1", at: 10_500, want: "broker_restart" },
    { reason: "relay_offline", gate: "gate-1", at: 14_000, want: "broker_restart" },
    { reason: "relay_offline", gate: "gate-1", at: 15_000, want: undefined },
    { reason: "relay_offline", gate: "gate-1", at: 9_000, want: undefined },
    { reason: "expired", gate: "gate-1", at: 10_500, want: undefined },
    { reason: "expired", gate: "gate-2", at: 21_000, want: undefined },
    // A bridged scan held while the broker was away: too old at the gate, or "try again".
    { reason: "stale_scan", gate: "gate-2", at: 12_000, want: "broker_restart" },
    { reason: "no_answer", gate: "gate-1", at: 13_000, want: "broker_restart" },
    { reason: "stale_scan", gate: "gate-1", at: 16_000, want: undefined },
    { reason: "no_answer", gate: "gate-1", at: 31_000, want: "bridge_unplug" },
    { reason: "no_answer", gate: "gate-2", at: 31_000, want: undefined },
    // The desk's requests are not the bridge's: a stopped bridge explains no missing response.
    { reason: "no_response", gate: "gate-1", at: 31_000, want: undefined },
  ])("$reason at $gate, $at ms → $want", ({ reason, gate, at, want }) => {
    expect(explainingFault(reason, gate, at, windows)).toBe(want);
  });
});
