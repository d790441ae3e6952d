import type { IClientPublishOptions } from "mqtt";
import { tasmotaLwtSchema, tasmotaPowerSchema, tasmotaTopics } from "../mqtt/topics.js";
import { MqttRelayBase, type MqttRelayDeps } from "./mqtt-relay-base.js";
import type { PulseCommand } from "./relay-driver.js";
import { tasmotaPulseTime } from "./tasmota-pulse-time.js";

/**
 * A Tasmota relay (docs/relays.md). The device closes the relay by itself after
 * `PulseTime<n>`, so a pulse does not depend on this process; the driver sets PulseTime
 * whenever the board comes online or a pulse asks for another length, then sends
 * `POWER<n> ON` with an MQTT 5 expiry. Confirmed by `stat/<topic>/POWER<n> ON`;
 * availability from the retained `tele/<topic>/LWT`.
 */
export class TasmotaRelayDriver extends MqttRelayBase {
  private readonly topics;
  /** The PulseTime value last sent since the board came online. */
  private pulseTimeSent: number | undefined;

  constructor(id: string, target: { readonly topic: string; readonly channel: number }, deps: MqttRelayDeps) {
    super(id, deps);
    this.topics = tasmotaTopics(target.topic, target.channel);
  }

  protected subscribeDevice(): (() => void)[] {
    const { connection } = this.deps;
    const onPower = (_topic: string, state: "ON" | "OFF") => {
      if (state === "ON") this.confirm();
    };
    return [
      connection.subscribeParsed(this.topics.lwt, "text", tasmotaLwtSchema, "tasmota-lwt", (_t, v) => {
        if (v === "Online" && this.deviceOnline !== true) this.pulseTimeSent = undefined;
        this.setDeviceOnline(v === "Online");
      }),
      connection.subscribeParsed(
        this.topics.powerState,
        "text",
        tasmotaPowerSchema,
        "tasmota-power",
        onPower,
      ),
      ...(this.topics.powerState.endsWith("POWER1")
        ? [
            connection.subscribeParsed(
              this.topics.powerStateSingle,
              "text",
              tasmotaPowerSchema,
              "tasmota-power",
              onPower,
            ),
          ]
        : []),
    ];
  }

  protected sendHold(open: boolean): boolean {
    const { connection } = this.deps;
    if (!open) return connection.publish(this.topics.power, "OFF", { qos: 1 });
    // PulseTime 0: POWER ON stays on. The next pulse sets its PulseTime again.
    if (!connection.publish(this.topics.pulseTime, "0", { qos: 1 })) return false;
    this.pulseTimeSent = 0;
    return connection.publish(this.topics.power, "ON", { qos: 1 });
  }

  protected sendOpen(command: PulseCommand, _key: string, wire: IClientPublishOptions): boolean {
    const { connection } = this.deps;
    const value = tasmotaPulseTime(command.ms);
    if (value !== this.pulseTimeSent) {
      // Same QoS and expiry as the open: both arrive, in order, or neither does.
      if (!connection.publish(this.topics.pulseTime, String(value), wire)) return false;
      this.pulseTimeSent = value;
    }
    return connection.publish(this.topics.power, "ON", wire);
  }
}
