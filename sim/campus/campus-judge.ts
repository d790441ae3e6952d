import type { Clock } from "../../platform/clock.js";
import { CAMPUS_TOKEN_WINDOW } from "./campus-config.js";
import type { CampusCrowd } from "./campus-crowd.js";
import type { CampusEvent } from "./campus-events.js";
import type { CampusGate } from "./campus-gate.js";
import type { CampusRegistry } from "./campus-registry.js";
import type { FaultRunner } from "./fault-runner.js";
import { explainingFault } from "./faults.js";
import type { PendingScan, ScanLedger } from "./scan-ledger.js";
import { expectedAnswer } from "./scenarios.js";

/** A gate's decision as the campus learnt it: from the daemon in this process, or from the gate's decision event. */
export interface GateDecision {
  readonly gate: CampusGate;
  readonly reader: string;
  readonly result: "grant" | "deny";
  readonly reason: string;
  /** Which pending scan at the lane it answers: the scan text in process, the credential id from an event. */
  readonly answers: (scan: PendingScan) => boolean;
  /** The gate's clock at the decision. */
  readonly gateNow: number;
  /**
   * The allowlist versions the gate may have decided with: exactly one when the campus
   * read it at the decision (in process); for a gate process, the version when the scan was
   * shown and the one when its event came (the gate decided somewhere in between).
   */
  readonly versions: (pending: PendingScan) => readonly number[];
  /** The decision's latency in µs; given the pending scan, for a latency seen from the site. */
  readonly micros: (pending: PendingScan, realNow: number) => number;
  /** Real time (ms) the gate took the scan, when it is earlier than now (an event that travelled). */
  readonly decidedAt?: number;
}

/**
 * Judges each decision against what a correct gate must answer (docs/simulator.md), books it
 * in the ledger, and tells the crowd (a grant is followed by a rotation) and the listeners.
 */
export class CampusJudge {
  /** Decisions of each gate, for "the restarted gate decides again". */
  readonly perGate = new Map<string, number>();

  constructor(
    private readonly deps: {
      readonly clock: Clock;
      readonly ledger: ScanLedger;
      readonly registry: CampusRegistry;
      readonly faults: FaultRunner;
      readonly crowd: CampusCrowd;
      readonly emit: (event: CampusEvent) => void;
    },
  ) {}

  decided(d: GateDecision): void {
    const { clock, ledger, registry, faults, crowd } = this.deps;
    const realNow = Date.now();
    const gate = d.gate;
    const pending = ledger.answerWhere(gate.id, d.reader, d.answers, realNow);
    if (pending === undefined) return;
    this.perGate.set(gate.id, (this.perGate.get(gate.id) ?? 0) + 1);
    const { plan } = pending;
    const history = registry.history(plan.person.credential.id);
    const expectAt = (version: number, now = d.gateNow) =>
      expectedAnswer(plan, { now, version, window: CAMPUS_TOKEN_WINDOW }, history);
    const answers = new Set(d.versions(pending).map((v) => expectAt(v)));
    // The allowlist changed while the scan was in flight (a revocation or a new visitor):
    // either answer is right, and the gate's is taken as expected.
    const expect = answers.size === 1 ? ([...answers][0] as "grant" | "deny") : d.result;
    const { reason, result } = d;
    const micros = d.micros(pending, realNow);
    const explainedBy =
      result === "deny" && expect === "grant"
        ? explainingFault(reason, gate.id, clock.now(), faults.windows)
        : undefined;
    ledger.decided({ scenario: plan.scenario, expect, result, reason, micros, explainedBy });
    crowd.decided(plan.scenario);
    if (faults.skewRefusals.has(gate.id) && expect === "deny") {
      const versions = d.versions(pending);
      const trueClock = expectAt(versions[versions.length - 1] as number, clock.now());
      if (trueClock === "grant")
        faults.skewRefusals.set(gate.id, (faults.skewRefusals.get(gate.id) ?? 0) + 1);
    }
    this.deps.emit({
      kind: "decision",
      at: clock.now(),
      gate: gate.id,
      reader: d.reader,
      person: plan.person.credential.person,
      scenario: plan.scenario,
      expect,
      result,
      reason,
      micros,
    });
    if (result !== "grant") return;
    ledger.granted(pending, realNow);
    // The person walks on from the gate's answer, not from when the campus heard of it.
    crowd.granted(gate, d.reader, plan, d.decidedAt === undefined ? 0 : Math.max(0, realNow - d.decidedAt));
  }
}
