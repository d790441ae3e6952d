import type { CampusEvent } from "../campus/campus-events.js";
import { LatencyHistogram } from "./latency-histogram.js";

/** One decision as the live view shows it. */
export interface DecisionRow {
  readonly at: number;
  readonly person: string;
  readonly scenario: string;
  readonly expect: "grant" | "deny";
  readonly result: "grant" | "deny";
  readonly reason: string;
  readonly micros: number;
}

export interface LaneView {
  readonly reader: string;
  /** Read through a reader bridge (serial scanner → bridge → broker → gate). */
  readonly bridged: boolean;
  /** Newest first, at most `ROWS_KEPT`. */
  readonly recent: DecisionRow[];
  lastPassage?: { readonly at: number; readonly passed: boolean };
}

export interface RelayView {
  on: boolean;
  at: number;
  opens: number;
}

export interface GateView {
  readonly id: string;
  version?: number;
  syncError?: string;
  readonly relays: Map<string, RelayView>;
  readonly lanes: Map<string, LaneView>;
}

/** A line of the sync, registry or fault log. */
export interface LogLine {
  readonly at: number;
  readonly text: string;
  readonly ok: boolean;
}

export interface DemoTotals {
  scans: number;
  granted: number;
  denied: number;
  readonly deniedByReason: Map<string, number>;
  falseAccepts: number;
  falseRejects: number;
  relayOpens: number;
  passed: number;
  turnedBack: number;
}

/** Rows kept per lane and lines per log: more than any terminal shows. */
const ROWS_KEPT = 30;

/**
 * What the live demo knows, folded from the campus's event stream: per gate the
 * allowlist version, relays and the last decisions of each lane; the sync and fault logs;
 * running totals. Memory stays bounded however long the demo runs.
 */
export class DemoViewModel {
  readonly gates = new Map<string, GateView>();
  readonly syncLog: LogLine[] = [];
  readonly faultLog: LogLine[] = [];
  /** Faults in progress by name, with when they started and what they do. */
  readonly activeFaults = new Map<string, { readonly since: number; readonly detail?: string }>();
  /** Messages about what the person at the keyboard did (revoke, add a visitor). */
  readonly notes: LogLine[] = [];
  readonly totals: DemoTotals = {
    scans: 0,
    granted: 0,
    denied: 0,
    deniedByReason: new Map(),
    falseAccepts: 0,
    falseRejects: 0,
    relayOpens: 0,
    passed: 0,
    turnedBack: 0,
  };
  readonly latency = new LatencyHistogram();
  /** People seen with a valid pass, for the "revoke someone" key. */
  readonly validPeople = new Set<string>();

  /**
   * `gateIds` fixes the order in which gates are shown, before any of them reports;
   * `bridgedLanes` (`<gate>/<reader>`) are marked as read through a reader bridge.
   */
  constructor(
    gateIds: readonly string[] = [],
    private readonly bridgedLanes: ReadonlySet<string> = new Set(),
  ) {
    for (const id of gateIds) this.gate(id);
  }

  apply(event: CampusEvent): void {
    switch (event.kind) {
      case "scan":
        this.totals.scans++;
        this.lane(event.gate, event.reader);
        break;
      case "decision":
        this.onDecision(event);
        break;
      case "relay": {
        const relays = this.gate(event.gate).relays;
        const relay = relays.get(event.relay) ?? { on: false, at: event.at, opens: 0 };
        if (event.on && !relay.on) {
          relay.opens++;
          this.totals.relayOpens++;
        }
        relay.on = event.on;
        relay.at = event.at;
        relays.set(event.relay, relay);
        break;
      }
      case "passage":
        this.lane(event.gate, event.reader).lastPassage = { at: event.at, passed: event.passed };
        if (event.passed) this.totals.passed++;
        else this.totals.turnedBack++;
        break;
      case "sync": {
        const gate = this.gate(event.gate);
        if (event.ok) {
          gate.version = event.version;
          gate.syncError = undefined;
        } else gate.syncError = event.error ?? "failed";
        const text = event.ok
          ? `${event.gate} allowlist v${event.version}`
          : `${event.gate} sync failed: ${event.error ?? "unknown error"}`;
        pushBounded(this.syncLog, { at: event.at, text, ok: event.ok });
        break;
      }
      case "registry":
        this.validPeople.delete(event.person);
        pushBounded(this.syncLog, {
          at: event.at,
          text: `registry ${event.change} ${event.person} → v${event.version}`,
          ok: true,
        });
        break;
      case "operator":
        // The desk's and the intruder's requests come once a cycle, beside the faults: one log.
        pushBounded(this.faultLog, {
          at: event.at,
          text: `${event.actor} → ${event.gate} ${event.request}: ${event.outcome}`,
          ok: event.ok,
        });
        break;
      case "fault": {
        const detail = event.detail === undefined ? "" : `: ${event.detail}`;
        if (event.phase === "start") {
          this.activeFaults.set(event.fault, { since: event.at, detail: event.detail });
        } else this.activeFaults.delete(event.fault);
        pushBounded(this.faultLog, {
          at: event.at,
          text: `${event.fault} ${event.phase === "start" ? "started" : "ended"}${detail}`,
          ok: event.phase === "end",
        });
        break;
      }
    }
  }

  note(at: number, text: string, ok = true): void {
    pushBounded(this.notes, { at, text, ok });
  }

  private onDecision(event: Extract<CampusEvent, { kind: "decision" }>): void {
    const { totals } = this;
    if (event.result === "grant") totals.granted++;
    else {
      totals.denied++;
      totals.deniedByReason.set(event.reason, (totals.deniedByReason.get(event.reason) ?? 0) + 1);
    }
    if (event.result === "grant" && event.expect === "deny") totals.falseAccepts++;
    if (event.result === "deny" && event.expect === "grant") totals.falseRejects++;
    if (event.expect === "grant" && event.result === "grant") this.validPeople.add(event.person);
    this.latency.record(event.micros);
    const row: DecisionRow = {
      at: event.at,
      person: event.person,
      scenario: event.scenario,
      expect: event.expect,
      result: event.result,
      reason: event.reason,
      micros: event.micros,
    };
    const recent = this.lane(event.gate, event.reader).recent;
    recent.unshift(row);
    if (recent.length > ROWS_KEPT) recent.length = ROWS_KEPT;
  }

  private gate(id: string): GateView {
    let gate = this.gates.get(id);
    if (gate === undefined) {
      gate = { id, relays: new Map(), lanes: new Map() };
      this.gates.set(id, gate);
    }
    return gate;
  }

  private lane(gateId: string, reader: string): LaneView {
    const lanes = this.gate(gateId).lanes;
    let lane = lanes.get(reader);
    if (lane === undefined) {
      lane = { reader, bridged: this.bridgedLanes.has(`${gateId}/${reader}`), recent: [] };
      lanes.set(reader, lane);
    }
    return lane;
  }
}

/** Newest first, bounded. */
function pushBounded(log: LogLine[], line: LogLine): void {
  log.unshift(line);
  if (log.length > ROWS_KEPT) log.length = ROWS_KEPT;
}
