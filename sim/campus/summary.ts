/** What `passgate sim campus` reports when a run ends (see docs/simulator.md for each field). */
export interface CampusSummary {
  readonly durationMs: number;
  readonly gates: number;
  readonly lanes: number;
  readonly scans: number;
  readonly granted: number;
  readonly denied: Readonly<Record<string, number>>;
  readonly falseAccepts: number;
  readonly falseRejects: number;
  readonly latencyMicros: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly byScenario: Readonly<Record<string, { scans: number; granted: number; denied: number }>>;
  readonly faults: readonly { fault: string; at: number; detail?: string }[];
  readonly relayOpens: number;
  readonly passages: number;
  readonly lateOpens: number;
  /** `forced_passage` alarms with no forced rotation at their lane before them. */
  readonly falseAlarms: number;
  readonly eventsUploaded: number;
  readonly journalsVerified: boolean;
  readonly operators: OperatorSummary;
  readonly bridges: BridgeSummary;
  readonly revocationMs: RevocationSummary;
  /** With `--processes` only: the gates as `passgate run` processes. */
  readonly gateProcesses?: GateProcessSummary;
}

/**
 * For each revocation made during the run, the time from the registry's change to each
 * gate having applied it (its retained state's `allowlist.appliedAt`), over all gates, ms.
 */
export interface RevocationSummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Gates seen applying every revocation of the run (0 when there was none). */
  readonly gates: number;
  /** Revocations made during the run. */
  readonly revocations: number;
}

/** The gate processes of a `--processes` run (memory read from /proc/<pid>/status before they stop). */
export interface GateProcessSummary {
  readonly count: number;
  /** Gate processes killed (SIGKILL) and started again by the `gate_restart` fault. */
  readonly restarts: number;
  /** Scans the restarted gates decided after they were back. */
  readonly decidedAfterRestart: number;
  /** Resident memory per gate process (VmRSS), MiB: mean and largest. */
  readonly rssMiB: { readonly mean: number; readonly max: number };
  /** Of it, anonymous memory (RssAnon: heap and native allocations, not the shared executable and libraries), MiB. */
  readonly rssAnonMiB: { readonly mean: number; readonly max: number };
  /** From the first spawn to the last gate online, ms. */
  readonly startMs: number;
}

/** The bridged lanes' scans, from each reader bridge's own counts (`state().scans`). */
export interface BridgeSummary {
  /** Lanes read through a reader bridge. */
  readonly lanes: number;
  /** Scans the bridges sent to their gates. */
  readonly scansSent: number;
  /** Scans the gates answered (each played on the reader). */
  readonly answered: number;
  /** Scans sent with no answer in time: the reader played "try again". */
  readonly noAnswer: number;
  /** Scans never sent: too old when the broker or the gate was back ("try again" too). */
  readonly dropped: number;
  /** "Try again"s (no answer or dropped) that no injected fault explains; not in the verdict. */
  readonly unexplained: number;
}

/** The guard desk's signed requests and the intruder's unsigned or forged ones (docs/simulator.md). */
export interface OperatorSummary {
  /** Requests the desk signed: a pulse and a mode change per cycle. */
  readonly signedRequests: number;
  /** The desk's pulses answered `ok` with `result: "opened"`. */
  readonly answeredOk: number;
  /** The desk's mode requests answered `error` (a guard may not change the mode), the mode kept. */
  readonly refusedAsExpected: number;
  /** The desk's requests not answered as expected that an injected fault explains. */
  readonly explainedByFault: number;
  /** The desk's requests not answered as expected that no fault explains. Must be 0. */
  readonly failed: number;
  /** Unsigned and forged requests the intruder got onto the broker. */
  readonly intruderRequests: number;
  /**
   * What the gates did for the intruder: answers to its requests, a mode it changed, and
   * journal entries of a mode change or a test pulse that the desk did not sign. Must be 0.
   */
  readonly intruderActedOn: number;
  /** The gates' `trustRefusals` of requests (`request-<cmd>:<reason>`), summed, asked for at the end. */
  readonly gateRefusals: Readonly<Record<string, number>>;
}

/** One decided scan as the run saw it. */
export interface DecidedScan {
  readonly scenario: string;
  readonly expect: "grant" | "deny";
  readonly result: "grant" | "deny";
  readonly reason: string;
  readonly micros: number;
  /** The injected fault that explains a denial where a grant was expected (then not a false reject). */
  readonly explainedBy?: string | undefined;
}

/** Everything a summary is made from; `summarize` only counts. */
export interface CampusRecord {
  readonly durationMs: number;
  readonly gates: number;
  readonly lanes: number;
  readonly decisions: readonly DecidedScan[];
  /** Rotations without a grant the crowd made, and the alarms the gates raised for them. */
  readonly forced: ForcedCount;
  readonly faults: readonly { fault: string; at: number; detail?: string }[];
  readonly relayOpens: number;
  readonly passages: number;
  readonly lateOpens: number;
  readonly eventsUploaded: number;
  readonly journalsVerified: boolean;
  readonly operators: OperatorSummary;
  readonly bridges: BridgeSummary;
  readonly revocationMs: RevocationSummary;
  readonly gateProcesses?: GateProcessSummary;
}

/**
 * Forced rotations, the alarms raised for them (each matched to one at its lane), and
 * `forced_passage` alarms that matched none (sim/campus/forced-passages.ts).
 */
export interface ForcedCount {
  readonly rotations: number;
  readonly alarms: number;
  readonly falseAlarms: number;
}

/**
 * The forced-passage "scenario" in `byScenario`: scans = forced rotations, denied = those
 * that raised an alarm, granted = those that raised none. Alarms for no forced rotation are
 * the summary's `falseAlarms`.
 */
export const FORCED_PASSAGE = "forced_passage";

/**
 * Counts a run. A false accept is a grant where a deny was expected; a false reject is a
 * deny where a grant was expected that no injected fault explains. Latencies are the
 * gate's own decision times; percentiles by nearest rank (0 when nothing was decided).
 */
export function summarize(record: CampusRecord): CampusSummary {
  const denied: Record<string, number> = {};
  const byScenario: Record<string, { scans: number; granted: number; denied: number }> = {};
  let granted = 0;
  let falseAccepts = 0;
  let falseRejects = 0;
  for (const d of record.decisions) {
    const row = byScenario[d.scenario] ?? { scans: 0, granted: 0, denied: 0 };
    byScenario[d.scenario] = row;
    row.scans++;
    if (d.result === "grant") {
      granted++;
      row.granted++;
      if (d.expect === "deny") falseAccepts++;
    } else {
      row.denied++;
      denied[d.reason] = (denied[d.reason] ?? 0) + 1;
      if (d.expect === "grant" && d.explainedBy === undefined) falseRejects++;
    }
  }
  if (record.forced.rotations > 0) {
    byScenario[FORCED_PASSAGE] = {
      scans: record.forced.rotations,
      granted: Math.max(0, record.forced.rotations - record.forced.alarms),
      denied: record.forced.alarms,
    };
  }
  const micros = record.decisions.map((d) => d.micros).sort((a, b) => a - b);
  return {
    durationMs: record.durationMs,
    gates: record.gates,
    lanes: record.lanes,
    scans: record.decisions.length,
    granted,
    denied,
    falseAccepts,
    falseRejects,
    latencyMicros: {
      p50: percentile(micros, 0.5),
      p99: percentile(micros, 0.99),
      max: micros.length === 0 ? 0 : Math.round(micros[micros.length - 1] as number),
    },
    byScenario,
    faults: record.faults,
    relayOpens: record.relayOpens,
    passages: record.passages,
    lateOpens: record.lateOpens,
    falseAlarms: record.forced.falseAlarms,
    eventsUploaded: record.eventsUploaded,
    journalsVerified: record.journalsVerified,
    operators: record.operators,
    bridges: record.bridges,
    revocationMs: record.revocationMs,
    ...(record.gateProcesses === undefined ? {} : { gateProcesses: record.gateProcesses }),
  };
}

/** Nearest-rank percentile of ascending `sorted`, rounded to whole µs; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return Math.round(sorted[rank - 1] as number);
}

/**
 * Whether a run passes: no false accept, no late open, every journal verified, every
 * request of the guard desk answered as expected (but where a fault explains it), and
 * nothing done for the intruder.
 */
export function campusPassed(summary: CampusSummary): boolean {
  return (
    summary.falseAccepts === 0 &&
    summary.lateOpens === 0 &&
    summary.journalsVerified &&
    summary.operators.failed === 0 &&
    summary.operators.intruderActedOn === 0
  );
}
