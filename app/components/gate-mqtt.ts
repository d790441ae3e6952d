import type { Config } from "../../config/schema.js";
import type { OperatorOpen } from "../../daemon/actuate/operator-open-record.js";
import type { BridgeView } from "../../daemon/bridge/bridge-watch.js";
import type { JournalEntry } from "../../daemon/journal/journal-entry.js";
import { GateMqtt } from "../../daemon/mqtt/gate-mqtt.js";
import type { GateStatePayload, OperatorOpenEventPayload } from "../../daemon/mqtt/topics.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Component } from "../component.js";
import type { ConfigDiff } from "../reload/diff-config.js";
import type { ModeControlComponent } from "./mode-control.js";
import type { MqttSessionComponent } from "./mqtt-session.js";
import type { RelaysComponent } from "./relays.js";
import type { TrustComponent } from "./trust.js";

/**
 * Owns the gate's side of MQTT (GateMqtt, with `mqtt:`): decision, relay and passage
 * events, the retained gate state (published at start, on every mode change and every
 * change of relay availability), and the `mode`, `pulse` and `status` requests. Starts
 * after the relays and the mode control its requests act on, and stops before them: no
 * request is taken that could not be carried out. The parts after it publish through it.
 */
export class GateMqttComponent implements Component {
  readonly name = "gate-mqtt";
  private gateMqtt: GateMqtt | undefined;
  private readonly unsubscribes: (() => void)[] = [];

  constructor(
    private readonly config: Config,
    private readonly deps: {
      readonly session: MqttSessionComponent;
      readonly trust: TrustComponent;
      readonly relays: RelaysComponent;
      readonly modes: ModeControlComponent;
      /** The reader bridges as the gate sees them (components/bridges.ts). */
      readonly bridgeViews?: () => readonly BridgeView[];
      /** After an operator's open was journaled: a rotation at `reader` is its passage (components/inputs.ts). */
      readonly expectPassage?: (open: JournalEntry, reader: string) => void;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {}

  /** Where the gate publishes, from `start()` on; undefined without `mqtt:`. */
  get events(): GateMqtt | undefined {
    return this.gateMqtt;
  }

  async start(): Promise<void> {
    const { session, relays, modes, logger } = this.deps;
    const mqtt = session.parts;
    if (mqtt === undefined) return;
    const gateMqtt: GateMqtt = new GateMqtt(mqtt.connection, mqtt.topics, {
      gate: this.config.gate,
      logger: logger.child({ component: "mqtt" }),
      trust: this.deps.trust.site,
      handlers: {
        mode: (mode, by, user) => {
          const { record, changed } = modes.control.set(mode, "mqtt", by, user);
          return { mode: record.mode, since: record.since, changed };
        },
        pulse: (relay, ms, by) => relays.testPulse(relay, ms, by),
        open: (request, by): Promise<Record<string, unknown>> => this.open(gateMqtt, { ...request, by }),
        status: () => ({
          ...this.state(),
          mqttDrops: Object.fromEntries(mqtt.connection.dropCounts()),
          trustRefusals: Object.fromEntries(this.deps.trust.site.refusals()),
          bridges: this.deps.bridgeViews?.() ?? [],
        }),
      },
    });
    this.gateMqtt = gateMqtt;
    gateMqtt.start();
    const publishState = () => gateMqtt.publishState(this.state());
    this.unsubscribes.push(modes.control.onChange(publishState), relays.onAvailabilityChange(publishState));
    publishState();
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribes.splice(0)) u();
    this.gateMqtt?.stop();
  }

  /**
   * An operator's open: the relay pulsed as for a grant (RelaysComponent), the rotation
   * that follows expected (inputs), and the `operator_open` event with its result.
   */
  private async open(gateMqtt: GateMqtt, open: OperatorOpen): Promise<Record<string, unknown>> {
    const { relays, clock } = this.deps;
    return relays.operatorOpen(
      open,
      (entry, reader) => this.deps.expectPassage?.(entry, reader),
      (pulse) => {
        const event: OperatorOpenEventPayload = {
          type: "operator_open",
          at: clock.now(),
          gate: this.config.gate,
          relay: open.relay,
          by: open.by,
          ...(open.user === undefined ? {} : { user: open.user }),
          reason: open.reason,
          result: pulse.result,
          ...(pulse.error === undefined ? {} : { error: pulse.error }),
        };
        gateMqtt.publishEvent(event);
      },
    );
  }

  /** Publishes the retained state again (a bridge came or went). */
  republishState(): void {
    this.gateMqtt?.publishState(this.state());
  }

  /** The relays may have changed (another set, other ids): the retained state shows the new ones. */
  async reload(diff: ConfigDiff): Promise<void> {
    if (diff.actuation) this.gateMqtt?.publishState(this.state());
  }

  private state(): GateStatePayload {
    const m = this.deps.modes.control.current();
    return {
      gate: this.config.gate,
      mode: m.mode,
      modeSince: m.since,
      modeSource: m.source,
      relays: this.deps.relays.availability(),
      ...(this.config.readers.some((r) => r.source.type === "bridge") ||
      (this.deps.bridgeViews?.().length ?? 0) > 0
        ? {
            bridges: (this.deps.bridgeViews?.() ?? []).map((b) => ({
              id: b.id,
              paired: b.paired,
              status: b.status,
            })),
          }
        : {}),
      at: this.deps.clock.now(),
    };
  }
}
