import type { EmbeddedBroker } from "../broker/embedded-broker.js";
import type { RegistryServer } from "../registry/registry-server.js";
import type { CampusEvent } from "./campus-events.js";
import type { CampusGate } from "./campus-gate.js";
import type { CampusLane } from "./campus-lane.js";
import type { FaultKind, ScheduledFault } from "./faults.js";
import { GateProcess } from "./gate-process.js";
import type { SeededRandom } from "./rng.js";

/** A fault's time span (campus clock), for explaining denials; `to` undefined while it lasts. */
export interface FaultWindow {
  readonly fault: FaultKind;
  readonly gate?: string;
  readonly from: number;
  to: number | undefined;
}

/** What the faults act on. */
export interface FaultTargets {
  readonly broker: EmbeddedBroker | undefined;
  readonly registry: RegistryServer;
  readonly registryPort: number;
  readonly gates: readonly CampusGate[];
  readonly rng: SeededRandom;
  readonly now: () => number;
  readonly emit: (event: CampusEvent) => void;
  /** The registry stops serving (false) and serves again (true), for the revocation times and its push. */
  readonly onRegistry?: (up: boolean) => void;
}

/**
 * How long after the broker came back, or a gate's process came back online, site share is
 * whole again: the gates have their sessions back, each has resent what its outbox held and
 * asked the others for what it missed (catch-up), and the answers have arrived.
 */
const SHARE_SETTLE_MS = 3_000;

/**
 * Injects the scheduled faults and keeps their record: windows for the false-reject rule,
 * and one line per fault for the summary (filled in when the fault ends).
 */
export class FaultRunner {
  readonly windows: FaultWindow[] = [];
  readonly record: { fault: string; at: number; detail?: string }[] = [];
  /** Real time (Date.now()) the broker was last back up: site-shared state is complete after it. */
  brokerUpSince = 0;
  brokerDown = false;
  /** Codes shown to a reader that could not read them (unplugged, or its board offline). */
  unread = 0;
  /** Each fault under way, with its end by its schedule (real time): its start plus `lastsMs`. */
  private readonly running = new Map<Promise<void>, number>();
  /** Per skewed gate: denials of codes a correct clock would have taken. */
  readonly skewRefusals = new Map<string, number>();
  /** Real time each restarted gate process was back online: site-shared state reaches it from then on. */
  readonly gateUpSince = new Map<string, number>();
  /** Gate processes killed and started again: when each was back, and its decisions then. */
  readonly restarts: { readonly gate: string; readonly decisionsBefore: number }[] = [];
  /** The decisions the campus has judged of a gate so far (set by the campus). */
  decisionsOf: (gate: string) => number = () => 0;
  private readonly kills: { readonly gate: string; readonly at: number; upAt: number | undefined }[] = [];

  constructor(private readonly targets: FaultTargets) {}

  /** Starts `f`; it ends by itself after `f.lastsMs`. */
  inject(f: ScheduledFault): void {
    const run = this.run(f).catch((err: unknown) => {
      this.record.push({ fault: f.fault, at: this.targets.now(), detail: `failed: ${String(err)}` });
    });
    this.running.set(run, Date.now() + f.lastsMs);
    void run.finally(() => this.running.delete(run));
  }

  /**
   * Whether `gate` has had the site's shared records for a while at real time `now`: the
   * broker is up and the gate's process too, each for SHARE_SETTLE_MS. Grants made before,
   * even during a broker outage or just before a gate was killed, count: each gate keeps its
   * records in its outbox until the broker has them and asks the others for what it missed
   * when it comes back (docs/mqtt.md), so a screenshot of any of them must be refused once
   * both the granting and the asked gate are settled.
   */
  shareSettled(gate: string, now: number): boolean {
    if (this.brokerDown || now - this.brokerUpSince < SHARE_SETTLE_MS) return false;
    if (this.kills.some((k) => k.gate === gate && k.upAt === undefined)) return false;
    return now - (this.gateUpSince.get(gate) ?? 0) >= SHARE_SETTLE_MS;
  }

  /**
   * Whether a fault that its schedule ended by now is still under way: a gate process that a
   * loaded machine brings back slowly. A fault scheduled to last past now (a bridge unplugged
   * near the end of a short run) is not.
   */
  overdue(now = Date.now()): boolean {
    return [...this.running.values()].some((due) => due <= now);
  }

  /** Waits for faults under way to end (a stop lets a broker or registry come back first). */
  async settle(): Promise<void> {
    await Promise.all([...this.running.keys()]);
  }

  private async run(f: ScheduledFault): Promise<void> {
    const t = this.targets;
    const at = t.now();
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const open = (gate?: string, detail?: string): FaultWindow => {
      const w: FaultWindow =
        gate === undefined
          ? { fault: f.fault, from: at, to: undefined }
          : { fault: f.fault, gate, from: at, to: undefined };
      this.windows.push(w);
      t.emit(
        detail === undefined
          ? { kind: "fault", at, fault: f.fault, phase: "start" }
          : { kind: "fault", at, fault: f.fault, phase: "start", detail },
      );
      return w;
    };
    const close = (w: FaultWindow, detail: string) => {
      w.to = t.now();
      t.emit({ kind: "fault", at: w.to, fault: f.fault, phase: "end", detail });
      this.record.push({ fault: f.fault, at, detail });
    };
    switch (f.fault) {
      case "broker_restart": {
        if (t.broker === undefined) {
          this.record.push({
            fault: f.fault,
            at,
            detail: "skipped: the simulator does not restart an external broker",
          });
          return;
        }
        const w = open(undefined, `down ${f.lastsMs} ms`);
        this.brokerDown = true;
        const unreadBefore = this.unread;
        await t.broker.restart(f.lastsMs);
        this.brokerDown = false;
        this.brokerUpSince = Date.now();
        close(
          w,
          `embedded broker down ${f.lastsMs} ms; ${this.unread - unreadBefore} codes shown to offline readers were not read`,
        );
        return;
      }
      case "registry_down": {
        const w = open(undefined, `for ${f.lastsMs} ms`);
        t.onRegistry?.(false);
        await t.registry.stop();
        await sleep(f.lastsMs);
        await t.registry.start(t.registryPort);
        t.onRegistry?.(true);
        close(w, `registry unreachable for ${f.lastsMs} ms, back on the same port`);
        return;
      }
      case "reader_unplug": {
        const lanes: CampusLane[] = t.gates
          .flatMap((g) => g.lanes)
          .filter((l) => !l.unplugged && l.bridge === undefined);
        if (lanes.length === 0) {
          this.record.push({ fault: f.fault, at, detail: "skipped: every lane is bridged" });
          return;
        }
        const lane = t.rng.pick(lanes);
        const w = open(lane.plan.gate, `${lane.id} reader`);
        const unreadBefore = this.unread;
        await lane.unplug();
        await sleep(f.lastsMs);
        await lane.plugIn();
        close(
          w,
          `${lane.id} reader off the network ${f.lastsMs} ms; ${this.unread - unreadBefore} codes shown to it were not read`,
        );
        return;
      }
      case "bridge_unplug": {
        const lanes: CampusLane[] = t.gates
          .flatMap((g) => g.lanes)
          .filter((l) => !l.unplugged && l.bridge !== undefined);
        if (lanes.length === 0) {
          this.record.push({ fault: f.fault, at, detail: "skipped: no bridged lane" });
          return;
        }
        const lane = t.rng.pick(lanes);
        const w = open(lane.plan.gate, `${lane.id} bridge`);
        const unreadBefore = this.unread;
        await lane.unplug();
        await sleep(f.lastsMs);
        await lane.plugIn();
        close(
          w,
          `${lane.id} bridge stopped ${f.lastsMs} ms, started again with the same config and key; ${this.unread - unreadBefore} codes shown to it were not read`,
        );
        return;
      }
      case "clock_skew_within":
      case "clock_skew_beyond": {
        const gate = t.gates[t.gates.length - 1];
        if (gate === undefined) return;
        if (gate.runner instanceof GateProcess) {
          this.record.push({
            fault: f.fault,
            at,
            detail: "skipped: a gate process keeps the machine's clock",
          });
          return;
        }
        const skew = f.skewMs ?? 0;
        const w = open(gate.id, `${gate.id} clock ${skew >= 0 ? "+" : ""}${skew / 1000} s`);
        this.skewRefusals.set(gate.id, 0);
        gate.clock.offsetMs = skew;
        await sleep(f.lastsMs);
        gate.clock.offsetMs = 0;
        const refused = this.skewRefusals.get(gate.id) ?? 0;
        this.skewRefusals.delete(gate.id);
        close(
          w,
          `${gate.id} clock ${skew >= 0 ? "+" : ""}${skew / 1000} s for ${f.lastsMs} ms; ${refused} valid codes refused for the gate's clock (expected)`,
        );
        return;
      }
      case "gate_restart": {
        const gates = t.gates.filter((g) => g.runner instanceof GateProcess);
        if (gates.length === 0) {
          this.record.push({ fault: f.fault, at, detail: "skipped: the gates run in this process" });
          return;
        }
        const gate = t.rng.pick(gates);
        const gateProcess = gate.runner as GateProcess;
        const w = open(gate.id, `${gate.id} process killed (SIGKILL)`);
        const kill = { gate: gate.id, at: Date.now(), upAt: undefined as number | undefined };
        this.kills.push(kill);
        for (const lane of gate.lanes) lane.gateDown = true;
        await gateProcess.kill();
        await sleep(f.lastsMs);
        const startedAt = Date.now();
        await gateProcess.start();
        kill.upAt = Date.now();
        this.gateUpSince.set(gate.id, kill.upAt);
        this.restarts.push({ gate: gate.id, decisionsBefore: this.decisionsOf(gate.id) });
        for (const lane of gate.lanes) lane.gateDown = false;
        close(
          w,
          `${gate.id} process killed (SIGKILL), started again after ${f.lastsMs} ms, online ${kill.upAt - startedAt} ms later`,
        );
        return;
      }
    }
  }
}
