import { OPEN_DEADLINE_MS } from "../../daemon/actuate/relay-set.js";
import type { CampusBridge } from "./campus-bridge.js";
import type { CampusGate } from "./campus-gate.js";
import { checkJournal } from "./campus-journals.js";
import type { CampusLane } from "./campus-lane.js";
import type { FaultRunner } from "./fault-runner.js";
import type { GateProcess, ProcessMemory } from "./gate-process.js";
import type { ScanLedger } from "./scan-ledger.js";
import {
  type BridgeSummary,
  type CampusSummary,
  type ForcedCount,
  type GateProcessSummary,
  type OperatorSummary,
  type RevocationSummary,
  summarize,
} from "./summary.js";

/** What a finished run is counted from, once every gate has stopped. */
export interface FinishedRun {
  readonly durationMs: number;
  readonly gates: readonly CampusGate[];
  readonly ledger: ScanLedger;
  readonly faults: FaultRunner;
  readonly now: number;
  readonly forced: ForcedCount;
  readonly passages: number;
  readonly eventsUploaded: number;
  readonly tryAgain: { readonly total: number; readonly unexplained: number };
  /** The guard desk's tally, less the intruder's counts and the gates' refusals. */
  readonly operators: Omit<OperatorSummary, "intruderActedOn"> & { readonly intruderActedOn: number };
  /** The desk's pulses open boards with no scan before them: those opens, left out. */
  readonly withoutDeskOpens: (
    gate: string,
    reader: string,
    opens: readonly { at: number }[],
  ) => { at: number }[];
  readonly revocationMs: RevocationSummary;
  readonly gateProcesses?: GateProcessSummary;
}

/** Counts a stopped campus: journals verified, late opens, bridges, the unread and lost scans. */
export function summarizeRun(run: FinishedRun): CampusSummary {
  const { gates, ledger, faults, tryAgain } = run;
  const lanes: CampusLane[] = gates.flatMap((g) => g.lanes);
  const journals = gates.map((g) => checkJournal(g.config.storage.path));
  const laneOpens = (l: CampusLane) => run.withoutDeskOpens(l.plan.gate, l.plan.reader, l.board.opens);
  const lateOpens = lanes.reduce(
    (sum, l) => sum + ledger.lateOpens(l.plan.gate, l.plan.reader, laneOpens(l), OPEN_DEADLINE_MS),
    0,
  );
  const extra: { fault: string; at: number; detail?: string }[] = [];
  const neverDecided = ledger.lost + ledger.unanswered();
  if (neverDecided > 0 || ledger.unmatched > 0 || faults.unread > 0) {
    const bridgeNote =
      tryAgain.total > 0
        ? ` (bridges played "try again" ${tryAgain.total} times, ${tryAgain.unexplained} outside a fault)`
        : "";
    extra.push({
      fault: "unread",
      at: run.now,
      detail: `${faults.unread} codes shown to readers that were offline, ${neverDecided} scans never decided${bridgeNote}, ${ledger.unmatched} decisions matched no scan`,
    });
  }
  const bridgeCounts = lanes
    .filter((l) => l.bridge !== undefined)
    .map((l) => (l.bridge as CampusBridge).counts());
  const bridges: BridgeSummary = {
    lanes: bridgeCounts.length,
    scansSent: bridgeCounts.reduce((sum, c) => sum + c.scansSent, 0),
    answered: bridgeCounts.reduce((sum, c) => sum + c.answered, 0),
    noAnswer: bridgeCounts.reduce((sum, c) => sum + c.noAnswer, 0),
    dropped: bridgeCounts.reduce((sum, c) => sum + c.dropped, 0),
    unexplained: tryAgain.unexplained,
  };
  return summarize({
    durationMs: run.durationMs,
    gates: gates.length,
    lanes: lanes.length,
    decisions: ledger.decisions,
    forced: run.forced,
    faults: [...faults.record, ...extra],
    // For grants: the desk's opens are its own count (operators.answeredOk).
    relayOpens: lanes.reduce((sum, l) => sum + laneOpens(l).length, 0),
    passages: run.passages,
    lateOpens,
    eventsUploaded: run.eventsUploaded,
    journalsVerified: journals.every((j) => j.verified),
    bridges,
    operators: {
      ...run.operators,
      intruderActedOn: run.operators.intruderActedOn + journals.reduce((sum, j) => sum + j.unsignedActs, 0),
    },
    revocationMs: run.revocationMs,
    ...(run.gateProcesses === undefined ? {} : { gateProcesses: run.gateProcesses }),
  });
}

/** The gate processes' memory (read while they still run), restarts and start time. */
export function gateProcessSummary(
  processes: readonly GateProcess[],
  memory: readonly (ProcessMemory | undefined)[],
  faults: FaultRunner,
  startMs: number,
): GateProcessSummary {
  const seen = memory.filter((m): m is ProcessMemory => m !== undefined);
  const mib = (values: number[]) => ({
    mean: values.length === 0 ? 0 : round1(values.reduce((a, b) => a + b, 0) / values.length / 1024),
    max: values.length === 0 ? 0 : round1(Math.max(...values) / 1024),
  });
  return {
    count: processes.length,
    restarts: faults.restarts.length,
    decidedAfterRestart: faults.restarts.reduce(
      (sum, r) => sum + faults.decisionsOf(r.gate) - r.decisionsBefore,
      0,
    ),
    rssMiB: mib(seen.map((m) => m.rssKiB)),
    rssAnonMiB: mib(seen.map((m) => m.rssAnonKiB)),
    startMs,
  };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
