import type { Config } from "../../config/schema.js";
import { type BridgeView, BridgeWatch } from "../../daemon/bridge/bridge-watch.js";
import { alarmRecord } from "../../daemon/journal/journal-entry.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Component } from "../component.js";
import type { GateMqttComponent } from "./gate-mqtt.js";
import type { MqttSessionComponent } from "./mqtt-session.js";
import type { StorageComponent } from "./storage.js";
import type { TrustComponent } from "./trust.js";

/**
 * Watches this gate's reader bridges on the broker (with `mqtt:`): which are paired (in the
 * roster), online, and what they last reported, for `status`; a paired bridge that goes
 * offline is journaled as an alarm (`bridge_offline`) and published as an event, so the
 * guard knows a lane has lost its reader.
 */
export class BridgesComponent implements Component {
  readonly name = "bridges";
  private watch: BridgeWatch | undefined;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The bridges as the retained state last showed them. */
  private shown = "[]";

  constructor(
    private readonly config: Config,
    private readonly deps: {
      readonly storage: StorageComponent;
      readonly session: MqttSessionComponent;
      readonly trust: TrustComponent;
      readonly gateMqtt: GateMqttComponent;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {}

  /** The bridges as `status` shows them; empty before the start and without `mqtt:`. */
  views(): BridgeView[] {
    return this.watch?.views() ?? [];
  }

  async start(): Promise<void> {
    const mqtt = this.deps.session.parts;
    if (mqtt === undefined) return;
    const { clock, storage } = this.deps;
    const log = this.deps.logger.child({ component: "bridges" });
    const gate = this.config.gate;
    const watch = new BridgeWatch(
      gate,
      () => this.deps.trust.roster,
      (id) => {
        const at = clock.now();
        log.warn({ bridge: id }, "reader bridge offline: its lane reads no scans");
        storage.stores.journal.append(
          alarmRecord({ at, gate, reason: "bridge_offline", data: { bridge: id } }),
        );
        this.deps.gateMqtt.events?.publishEvent({
          type: "alarm",
          at,
          gate,
          result: "bridge_offline",
          bridge: id,
        });
      },
      () => this.republishIfChanged(),
    );
    this.watch = watch;
    // The roster changes too (trust add, a registry roster): a bridge paired or dropped shows
    // in the retained state within the roster's own refresh.
    this.timer = setInterval(() => this.republishIfChanged(), 2_000);
    this.timer.unref();
    const prefix = `${mqtt.topics.bridgeFilter.slice(0, -1)}`;
    this.unsubscribe = mqtt.connection.subscribe(mqtt.topics.bridgeFilter, (topic, payload) => {
      const [name, kind, ...rest] = topic.slice(prefix.length).split("/");
      if (name === undefined || kind === undefined || rest.length > 0) return;
      watch.heard(name, kind, payload, clock.now());
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }

  private republishIfChanged(): void {
    const shown = JSON.stringify(this.views().map((b) => [b.id, b.paired, b.status]));
    if (shown === this.shown) return;
    this.shown = shown;
    this.deps.gateMqtt.republishState();
  }
}
