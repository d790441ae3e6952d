import type { EmbeddedBroker } from "../broker/embedded-broker.js";
import type { RegistryServer } from "../registry/registry-server.js";
import type { CampusEvent } from "./campus-events.js";
import type { CampusGate, CampusLane } from "./campus-gate.js";
import type { FaultKind, ScheduledFault } from "./faults.js";
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
}

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
  private readonly running = new Set<Promise<void>>();
  /** Per skewed gate: denials of codes a correct clock would have taken. */
  readonly skewRefusals = new Map<string, number>();

  constructor(private readonly targets: FaultTargets) {}

  /** Starts `f`; it ends by itself after `f.lastsMs`. */
  inject(f: ScheduledFault): void {
    const run = this.run(f).catch((err: unknown) => {
      this.record.push({ fault: f.fault, at: this.targets.now(), detail: `failed: ${String(err)}` });
    });
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Waits for faults under way to end (a stop lets a broker or registry come back first). */
  async settle(): Promise<void> {
    await Promise.all([...this.running]);
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
        await t.registry.stop();
        await sleep(f.lastsMs);
        await t.registry.start(t.registryPort);
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
    }
  }
}
