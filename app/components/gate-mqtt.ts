import type { Config } from "../../config/schema.js";
import type { OperatorOpen } from "../../daemon/actuate/operator-open-record.js";
import type { BridgeView } from "../../daemon/bridge/bridge-watch.js";
import type { JournalEntry } from "../../daemon/journal/journal-entry.js";
import { alarmRecord } from "../../daemon/journal/journal-entry.js";
import { GateMqtt } from "../../daemon/mqtt/gate-mqtt.js";
import type { GateStatePayload, OperatorOpenEventPayload } from "../../daemon/mqtt/topics.js";
import type { Clock } from "../../platform/clock.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Component } from "../component.js";
import { type DeskFields, type DeskSources, deskFields, deskKey } from "../desk-state.js";
import type { ConfigDiff } from "../reload/diff-config.js";
import type { ModeControlComponent } from "./mode-control.js";
import type { MqttSessionComponent } from "./mqtt-session.js";
import type { RelaysComponent } from "./relays.js";
import type { StorageComponent } from "./storage.js";
import type { TrustComponent } from "./trust.js";

/** How often readers, allowlist version and clock are compared for the retained state, ms. */
const DESK_CHECK_MS = 1_000;

/**
 * Owns the gate's side of MQTT (GateMqtt, with `mqtt:`): decision, relay and passage
 * events, the retained gate state (published at start, on every mode change and every
 * change of relay availability, and at most once a second when a reader connects or goes,
 * the allowlist version or the clock's sync changes), the relay_offline alarm, and the
 * `mode`, `pulse`, `open` and `status` requests. Starts
 * after the relays and the mode control its requests act on, and stops before them: no
 * request is taken that could not be carried out. The parts after it publish through it.
 */
export class GateMqttComponent implements Component {
  readonly name = "gate-mqtt";
  private gateMqtt: GateMqtt | undefined;
  private readonly unsubscribes: (() => void)[] = [];
  private deskTimer: NodeJS.Timeout | undefined;
  private lastDeskKey: string | undefined;
  private lastRelays: Readonly<Record<string, boolean>> = {};

  constructor(
    private config: Config,
    private readonly deps: {
      readonly session: MqttSessionComponent;
      readonly trust: TrustComponent;
      readonly relays: RelaysComponent;
      readonly modes: ModeControlComponent;
      /** The reader bridges as the gate sees them (components/bridges.ts). */
      readonly bridgeViews?: () => readonly BridgeView[];
      /** After an operator's open was confirmed: a rotation at `reader` is its passage (components/inputs.ts). */
      readonly expectPassage?: (open: JournalEntry, reader: string) => void;
      /** Readers, allowlist and clock for the retained state (app/desk-state.ts). */
      readonly desk?: DeskSources;
      /** Journals the relay_offline alarm. */
      readonly storage?: StorageComponent;
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
          mqttRefused: Object.fromEntries(mqtt.connection.refusedPublishes()),
          trustRefusals: Object.fromEntries(this.deps.trust.site.refusals()),
          bridges: this.deps.bridgeViews?.() ?? [],
        }),
      },
    });
    this.gateMqtt = gateMqtt;
    gateMqtt.start();
    const publishState = () => gateMqtt.publishState(this.state());
    this.lastRelays = relays.availability();
    this.unsubscribes.push(
      modes.control.onChange(publishState),
      relays.onAvailabilityChange(() => {
        this.relayAlarms(gateMqtt);
        publishState();
      }),
    );
    publishState();
    // Readers and the allowlist tell no one when they change: compare once a second, which
    // is also the most often the state goes out again for them.
    this.deskTimer = setInterval(() => {
      const desk = this.deskFields();
      if (desk !== undefined && deskKey(desk) !== this.lastDeskKey) publishState();
    }, DESK_CHECK_MS);
    this.deskTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.deskTimer);
    for (const u of this.unsubscribes.splice(0)) u();
    this.gateMqtt?.stop();
  }

  /**
   * A relay that was reachable and is not any more raises `relay_offline`, once per change
   * (journaled, published). One never reachable since the start raises nothing: its board
   * may still be booting, and the state shows it offline.
   */
  private relayAlarms(gateMqtt: GateMqtt): void {
    const now = this.deps.relays.availability();
    const before = this.lastRelays;
    this.lastRelays = now;
    const gate = this.config.gate;
    for (const [relay, up] of Object.entries(now)) {
      if (up || before[relay] !== true) continue;
      const at = this.deps.clock.now();
      try {
        this.deps.storage?.stores.journal.append(
          alarmRecord({ at, gate, reason: "relay_offline", data: { relay } }),
        );
      } catch (err) {
        this.deps.logger.error(
          { relay, err: describeError(err) },
          "could not journal the relay_offline alarm",
        );
      }
      gateMqtt.publishEvent({ type: "alarm", at, gate, result: "relay_offline", relay });
    }
  }

  private deskFields(): DeskFields | undefined {
    return this.deps.desk === undefined ? undefined : deskFields(this.config.readers, this.deps.desk);
  }

  /**
   * An operator's open: the relay pulsed as for a grant (RelaysComponent), the `operator_open`
   * event with its result, and, once the board confirmed it, the rotation that follows
   * expected (inputs). A failed open expects nothing: a rotation then is a forced passage.
   */
  private async open(gateMqtt: GateMqtt, open: OperatorOpen): Promise<Record<string, unknown>> {
    const { relays, clock } = this.deps;
    return relays.operatorOpen(open, (entry, reader, pulse) => {
      if (pulse.result === "opened") this.deps.expectPassage?.(entry, reader);
      // The reason is the guard's own words: it stays in the journal and the event, not the log.
      this.deps.logger.warn(
        { component: "relay", relay: open.relay, by: open.by, user: open.user, result: pulse.result },
        pulse.result === "opened" ? "lane opened by an operator" : "an operator's open failed",
      );
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
    });
  }

  /** Publishes the retained state again (a bridge came or went). */
  republishState(): void {
    this.gateMqtt?.publishState(this.state());
  }

  /** The relays may have changed (another set, other ids): the retained state shows the new ones. */
  async reload(diff: ConfigDiff): Promise<void> {
    this.config = diff.effective;
    if (diff.actuation) this.gateMqtt?.publishState(this.state());
  }

  private state(): GateStatePayload {
    const m = this.deps.modes.control.current();
    const desk = this.deskFields();
    if (desk !== undefined) this.lastDeskKey = deskKey(desk);
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
      ...desk,
      at: this.deps.clock.now(),
    };
  }
}
