import type { Config } from "../../config/schema.js";
import { createRelayDrivers } from "../../daemon/actuate/create-relay-drivers.js";
import { type OperatorOpen, operatorOpenRecord } from "../../daemon/actuate/operator-open-record.js";
import { OPEN_DEADLINE_MS, type PulseResult, RelaySet } from "../../daemon/actuate/relay-set.js";
import { testPulseRecord } from "../../daemon/actuate/test-pulse-record.js";
import type { JournalEntry } from "../../daemon/journal/journal-entry.js";
import { RequestError } from "../../daemon/mqtt/gate-mqtt.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Component } from "../component.js";
import type { GateMetrics } from "../http/gate-metrics.js";
import type { ConfigDiff } from "../reload/diff-config.js";
import type { ModeControlComponent } from "./mode-control.js";
import type { MqttSessionComponent } from "./mqtt-session.js";
import type { StorageComponent } from "./storage.js";

/** How often relay availability is compared, ms, to log a change and publish the gate state. */
const AVAILABILITY_POLL_MS = 500;

export interface RelaysDeps {
  readonly storage: StorageComponent;
  readonly session: MqttSessionComponent;
  readonly modes: ModeControlComponent;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Counts every pulse's result (grants and test pulses); absent without `http:`. */
  readonly metrics: GateMetrics | undefined;
}

/**
 * Owns the relays: their drivers (MQTT ones on the gate's session) in a RelaySet, the
 * free-passage hold (every relay held open while the mode is free), and a poll of their
 * availability (a change is logged and told to the listeners: the retained gate state).
 * Starts after the MQTT session and the mode control and stops before them: its stop waits
 * for the pulses in flight, then sends every relay an explicit off over a session still
 * connected. Only after that is `offline` published. A reload that changes relays or the
 * live part of `mqtt:` stops the relays (leaving them off) and starts them anew.
 */
export class RelaysComponent implements Component {
  readonly name = "relays";
  private relays: RelaySet | undefined;
  private holding = false;
  private unsubscribe: (() => void) | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly availabilityListeners = new Set<() => void>();

  constructor(
    private config: Config,
    private readonly deps: RelaysDeps,
  ) {}

  async start(): Promise<void> {
    await this.run(this.build(this.config));
  }

  async stop(): Promise<void> {
    clearInterval(this.poll);
    this.unsubscribe?.();
    await this.relays?.stop();
  }

  async reload(diff: ConfigDiff): Promise<void> {
    if (!diff.actuation) return;
    // Built first: a config whose relays cannot be built leaves the running ones alone.
    const next = this.build(diff.effective);
    await this.stop();
    this.config = diff.effective;
    await this.run(next);
  }

  /** Relay id → reachable now; empty before the start. */
  availability(): Record<string, boolean> {
    return this.relays?.availability() ?? {};
  }

  /** For the gate, before it decides: whether the relays of this reader can open now. */
  availableFor(readerId: string): boolean {
    return this.relays?.availableFor(readerId) === true;
  }

  /** Calls `listener` when some relay's availability changed. */
  onAvailabilityChange(listener: () => void): () => void {
    this.availabilityListeners.add(listener);
    return () => this.availabilityListeners.delete(listener);
  }

  /**
   * A grant: pulses the reader's relays unless `scannedAt` (epoch ms the reader delivered
   * the scan) is more than 2 s ago. Never throws; each relay's result goes to `report`.
   */
  openForGrant(
    readerId: string,
    decisionId: string,
    scannedAt: number,
    report: (r: PulseResult) => void,
  ): void {
    void this.relays?.open({ readerId }, decisionId, scannedAt + OPEN_DEADLINE_MS, (r) => {
      this.deps.metrics?.relayPulse(r.relay, r.error ?? r.result);
      report(r);
    });
  }

  /**
   * A test pulse (the MQTT `pulse` request, signed by operator `by`): journaled first, with
   * who asked, its entry id sent with the command.
   */
  async testPulse(relayId: string, ms?: number, by?: string): Promise<{ relay: string; result: string }> {
    const relays = this.relays;
    if (relays === undefined || !relays.has(relayId)) throw new RequestError(`unknown relay "${relayId}"`);
    const { clock, metrics } = this.deps;
    const entry = this.deps.storage.stores.journal.append(
      testPulseRecord(this.config.gate, relayId, clock.now(), undefined, by),
    );
    const [result] = await relays.open({ relayId, ms }, entry.id, clock.now() + OPEN_DEADLINE_MS, (r) =>
      metrics?.relayPulse(r.relay, r.error ?? r.result),
    );
    if (result?.result !== "opened") throw new RequestError(`relay ${relayId}: ${result?.error ?? "failed"}`);
    return { relay: relayId, result: result.result };
  }

  /**
   * An operator opens a lane once (the MQTT `open` request): refused in lockdown, nothing to
   * do in free passage (every relay is held open), else journaled first (the entry id goes
   * with the command) and pulsed like a grant. `done` gets the journal entry, the relay's
   * reader and the pulse's result. Rejects with a RequestError the operator reads.
   */
  async operatorOpen(
    open: OperatorOpen,
    done: (entry: JournalEntry, reader: string, result: PulseResult) => void,
  ): Promise<{ relay: string; result: "opened"; freePassage?: true }> {
    const relays = this.relays;
    const relay = this.config.relays.find((r) => r.id === open.relay);
    if (relays === undefined || relay === undefined || !relays.has(open.relay))
      throw new RequestError(`unknown relay "${open.relay}"`);
    const mode = this.deps.modes.control.current().mode;
    if (mode === "lockdown") throw new RequestError("lockdown: the gate opens for nobody");
    if (mode === "free") return { relay: open.relay, result: "opened", freePassage: true };
    const { clock, metrics } = this.deps;
    const entry = this.deps.storage.stores.journal.append(
      operatorOpenRecord(this.config.gate, open, clock.now()),
    );
    const [result] = await relays.open(
      { relayId: open.relay },
      entry.id,
      clock.now() + OPEN_DEADLINE_MS,
      (r) => metrics?.relayPulse(r.relay, r.error ?? r.result),
    );
    const outcome: PulseResult = result ?? {
      relay: open.relay,
      decisionId: entry.id,
      result: "failed",
      error: "error",
    };
    done(entry, relay.reader, outcome);
    if (outcome.result !== "opened")
      throw new RequestError(`relay ${open.relay}: ${outcome.error ?? "failed"}`);
    return { relay: open.relay, result: "opened" };
  }

  private build(config: Config): RelaySet {
    const { session, clock, logger } = this.deps;
    const mqtt = session.parts;
    const drivers = createRelayDrivers(config.relays, {
      mqtt:
        config.mqtt === undefined || mqtt === undefined
          ? undefined
          : { config: config.mqtt, connection: mqtt.connection, clientId: mqtt.clientId },
      clock,
      logger,
    });
    return new RelaySet(drivers, logger.child({ component: "relay" }));
  }

  private async run(relays: RelaySet): Promise<void> {
    const { modes, logger } = this.deps;
    this.relays = relays;
    this.holding = false;
    this.unsubscribe = modes.control.onChange(() => this.applyMode());
    try {
      await relays.start();
    } catch (err) {
      this.unsubscribe();
      throw err;
    }
    this.applyMode();
    let last = JSON.stringify(relays.availability());
    this.poll = setInterval(() => {
      const now = JSON.stringify(relays.availability());
      if (now === last) return;
      last = now;
      logger.warn({ component: "relay", relays: relays.availability() }, "relay availability changed");
      for (const listener of this.availabilityListeners) listener();
    }, AVAILABILITY_POLL_MS);
    this.poll.unref();
  }

  /** Free passage holds every relay open; any other mode releases them (lockdown: closed). */
  private applyMode(): void {
    const free = this.deps.modes.control.current().mode === "free";
    if (free === this.holding) return;
    this.holding = free;
    void this.relays?.holdAll(free);
  }
}
