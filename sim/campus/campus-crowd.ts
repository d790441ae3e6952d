import type { Clock } from "../../platform/clock.js";
import { CAMPUS_TOKEN_WINDOW } from "./campus-config.js";
import type { CampusEvent } from "./campus-events.js";
import type { CampusGate } from "./campus-gate.js";
import type { CampusLane } from "./campus-lane.js";
import type { CampusRegistry } from "./campus-registry.js";
import { crowdArrivals } from "./crowd.js";
import type { FaultRunner } from "./fault-runner.js";
import { changeSchedule, DESK_AT, FAULT_CYCLE_MS, faultSchedule, INTRUDER_AT } from "./faults.js";
import { ForcedPassages } from "./forced-passages.js";
import type { SeededRandom } from "./rng.js";
import type { ScanLedger } from "./scan-ledger.js";
import {
  expectedAnswer,
  forgerKey,
  type PlannedScan,
  planScan,
  SCENARIOS,
  type ScenarioName,
} from "./scenarios.js";

/** How often the crowd's clock ticks: arrivals, faults and registry changes fall on a tick. */
const TICK_MS = 20;
/** A forced passage is tried about this often (a rotation at a lane with nobody granted). */
const FORCED_EVERY_MS = 7_000;
/** A lane is quiet for a forced passage this long after its last grant (the passage timeout is 2 s). */
const QUIET_MS = 2_500;
/** How long after a broker restart every client has its subscriptions back. */
const BROKER_SETTLE_MS = 3_000;
/** Planning runs this far ahead of the crowd. */
const PLAN_AHEAD_MS = 5_000;

export interface CrowdDeps {
  readonly rng: SeededRandom;
  readonly clock: Clock;
  readonly gates: readonly CampusGate[];
  readonly registry: CampusRegistry;
  readonly ledger: ScanLedger;
  readonly faults: FaultRunner;
  readonly emit: (event: CampusEvent) => void;
  readonly night: { readonly fromHour: number; readonly toHour: number };
  readonly perMinute: number;
  readonly injectFaults: boolean;
  /** The gates run as processes: the schedule kills one and starts it again each cycle. */
  readonly gateProcesses?: boolean;
  /** Run length, for the cycle of faults (a shorter run gets the whole schedule squeezed in). */
  readonly durationMs: number | undefined;
  /** The guard desk's and the intruder's round of cycle `n` (0-based), once a cycle, faults or not. */
  readonly desk: (cycle: number) => void;
  readonly intruder: (cycle: number) => void;
}

/**
 * The people at the gates: arrivals per lane, the scenario of each scan, the rotations
 * after grants and the forced ones, plus the registry changes and faults on the same
 * schedule, planned a cycle at a time (so a run without an end goes on).
 */
export class CampusCrowd {
  /** Rotations made with no grant waiting (forced passages), and the gates' alarms for them. */
  readonly forced = new ForcedPassages();
  private readonly forger = forgerKey();
  private readonly lanes: CampusLane[];
  private readonly lastStep = new Map<string, number>();
  private readonly owed = new Set<ScenarioName>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Planned items; `arrival` marks a person showing a code (the rest: changes, faults, requests). */
  private queue: { at: number; run: () => void; arrival?: true }[] = [];
  /** Set at the run's end while a fault is seen through: only people keep arriving. */
  private arrivalsOnly = false;
  private plannedUntil = 0;
  private cycles = 0;
  private startedAt = 0;
  private tick: NodeJS.Timeout | undefined;
  private readonly cycleMs: number;

  constructor(private readonly deps: CrowdDeps) {
    this.lanes = deps.gates.flatMap((g) => g.lanes);
    this.cycleMs = Math.min(deps.durationMs ?? FAULT_CYCLE_MS, FAULT_CYCLE_MS);
  }

  start(): void {
    this.startedAt = Date.now();
    this.plan();
    this.tick = setInterval(() => this.onTick(), TICK_MS);
  }

  /** Stops arrivals; `cancelPending` also drops rotations not made yet. */
  stop(cancelPending: boolean): void {
    clearInterval(this.tick);
    if (!cancelPending) return;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /**
   * From now on only people arrive: no further registry change, fault, forced passage or
   * operator request, planned or not. The run's end uses it to see a fault still under way
   * through (a gate process slow to come back) without starting new ones.
   */
  onlyArrivals(): void {
    this.arrivalsOnly = true;
    this.queue = this.queue.filter((q) => q.arrival === true);
  }

  /** ms since the crowd started. */
  elapsed(): number {
    return Date.now() - this.startedAt;
  }

  /** A gate decided a scan of `scenario`: it is no longer owed in this cycle. */
  decided(scenario: ScenarioName): void {
    this.owed.delete(scenario);
  }

  /**
   * After a grant: the person goes through 300–900 ms after the gate's answer (`sinceMs`
   * ago), unless they turn back.
   */
  granted(gate: CampusGate, reader: string, plan: PlannedScan, sinceMs = 0): void {
    if (!plan.passes) return;
    const lane = gate.lanes.find((l) => l.plan.reader === reader);
    this.later(
      Math.max(0, 300 + this.deps.rng.int(600) - sinceMs),
      () => void lane?.turnstile.rotate().catch(() => undefined),
    );
  }

  private onTick(): void {
    const elapsed = this.elapsed();
    if (elapsed + PLAN_AHEAD_MS > this.plannedUntil) this.plan();
    while (this.queue.length > 0 && (this.queue[0] as { at: number }).at <= elapsed) {
      (this.queue.shift() as { run: () => void }).run();
    }
  }

  private plan(): void {
    const base = this.plannedUntil;
    const cycle = this.cycleMs;
    const items: { at: number; run: () => void; arrival?: true }[] = [];
    const arrivals = crowdArrivals(this.deps.rng, {
      lanes: this.lanes.length,
      perMinute: this.deps.perMinute,
      durationMs: cycle,
    });
    for (const a of arrivals) {
      const lane = this.lanes[a.lane] as CampusLane;
      items.push({ at: base + a.at, run: () => this.show(lane), arrival: true });
    }
    if (!this.arrivalsOnly) items.push(...this.cycleEvents(base, cycle));
    this.plannedUntil = base + cycle;
    this.queue = [...this.queue, ...items].sort((a, b) => a.at - b.at);
  }

  /** The cycle's registry changes, faults, forced passages and operator requests; its scenarios owed. */
  private cycleEvents(base: number, cycle: number): { at: number; run: () => void }[] {
    const { rng, registry, faults } = this.deps;
    const items: { at: number; run: () => void }[] = [];
    for (const c of changeSchedule(cycle)) {
      items.push({ at: base + c.at, run: () => void registry.scheduled(c.change).catch(() => undefined) });
    }
    if (this.deps.injectFaults) {
      for (const f of faultSchedule(cycle, { gateProcesses: this.deps.gateProcesses === true }))
        items.push({ at: base + f.at, run: () => faults.inject(f) });
    }
    for (let t = rng.exponential(FORCED_EVERY_MS); t < cycle; t += rng.exponential(FORCED_EVERY_MS)) {
      items.push({ at: base + t, run: () => this.forcePassage() });
    }
    const n = this.cycles++;
    items.push({ at: base + Math.round(cycle * DESK_AT), run: () => this.deps.desk(n) });
    items.push({ at: base + Math.round(cycle * INTRUDER_AT), run: () => this.deps.intruder(n) });
    for (const name of SCENARIOS) this.owed.add(name);
    return items;
  }

  /** A person shows their phone at `lane`. */
  private show(lane: CampusLane): void {
    const { rng, clock, registry, ledger, faults } = this.deps;
    const gate = this.deps.gates.find((g) => g.id === lane.plan.gate) as CampusGate;
    // A firmware reader's board is offline while the broker is away; a bridge keeps the scan.
    if (!lane.readable || (faults.brokerDown && lane.bridge === undefined)) {
      faults.unread++;
      return;
    }
    const phoneStep = Math.floor(clock.now() / 30_000);
    const plan = planScan(
      {
        rng,
        gate: gate.id,
        phoneStep,
        byKind: registry.byKind,
        lastStep: this.lastStep,
        undecided: (credential) => ledger.undecided(credential, Date.now()),
        // Any earlier grant elsewhere, once this gate and the granting one have the site's
        // records again after a broker restart or their own (outbox and catch-up).
        replayable: faults.shareSettled(gate.id, Date.now())
          ? ledger.screenshots(gate.id, Date.now(), 0, (from) => !faults.shareSettled(from, Date.now()))
          : [],
        revokedLive: registry.revokedLive,
        addedVisitors: registry.addedVisitors,
        night: this.deps.night,
      },
      this.forger,
      this.owed,
    );
    if (plan === undefined) return;
    // Still owed until a gate decides it (`decided`): a scan a bridge could not deliver (its
    // "try again") leaves the scenario owed, so the next person shows it.
    if (plan.scenario === "replay_other_gate") ledger.useScreenshot(plan.text);
    if (plan.genuine) this.lastStep.set(plan.person.credential.id, phoneStep);
    // What the gate should answer as far as can be told now; the decision is judged again
    // when it comes (a revocation may land in between).
    const version = gate.allowlistVersion();
    const expect = expectedAnswer(
      plan,
      { now: gate.clock.now(), version, window: CAMPUS_TOKEN_WINDOW },
      registry.history(plan.person.credential.id),
    );
    ledger.shown({ plan, gate: gate.id, reader: lane.plan.reader, shownAt: Date.now(), version });
    this.deps.emit({
      kind: "scan",
      at: clock.now(),
      gate: gate.id,
      reader: lane.plan.reader,
      person: plan.person.credential.person,
      scenario: plan.scenario,
      expect,
    });
    lane.scan(plan.text).catch(() => {
      faults.unread++;
    });
  }

  /**
   * A rotation nobody was granted: only at a lane where no grant can still be waiting for
   * its rotation (else the gate rightly takes it as that person's passage), and not while
   * the broker is away or just back (the rotation, QoS 1 but without a session on the
   * restarted broker, or its alarm would be lost, and so would the count).
   */
  private forcePassage(tries = 10): void {
    const { ledger, faults } = this.deps;
    const quiet = this.lanes.filter(
      (l) =>
        l.readable &&
        !ledger.busy(l.plan.gate, l.plan.reader) &&
        Date.now() - ledger.lastGrantAt(l.plan.gate, l.plan.reader) > QUIET_MS,
    );
    const brokerSettled = !faults.brokerDown && Date.now() - faults.brokerUpSince > BROKER_SETTLE_MS;
    if (quiet.length === 0 || !brokerSettled) {
      if (tries > 0) this.later(300, () => this.forcePassage(tries - 1));
      return;
    }
    const lane = this.deps.rng.pick(quiet);
    this.forced.rotated(lane.plan.gate, lane.plan.reader, Date.now());
    void lane.turnstile.rotate().catch(() => undefined);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}
