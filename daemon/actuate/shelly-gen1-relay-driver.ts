import type { IClientPublishOptions } from "mqtt";
import { shellyGen1StateSchema, shellyGen1Topics, shellyOnlineSchema } from "../mqtt/topics.js";
import { MqttRelayBase, type MqttRelayDeps } from "./mqtt-relay-base.js";
import type { PulseCommand } from "./relay-driver.js";

/**
 * A Shelly Gen1 relay (docs/relays.md). Gen1's MQTT command has no timer, so the driver
 * sends `on` and, `ms` later, `off`; set the relay's "Auto OFF" timer on the device as
 * well, so the door closes even if this process dies mid-pulse. Confirmed by the
 * `shellies/<id>/relay/<n>` state `on`; availability from `shellies/<id>/online`.
 */
export class ShellyGen1RelayDriver extends MqttRelayBase {
  private readonly topics;
  private readonly offTimers = new Set<NodeJS.Timeout>();

  constructor(id: string, target: { readonly id: string; readonly channel: number }, deps: MqttRelayDeps) {
    super(id, deps);
    this.topics = shellyGen1Topics(target.id, target.channel);
  }

  protected subscribeDevice(): (() => void)[] {
    const { connection } = this.deps;
    return [
      connection.subscribeParsed(this.topics.online, "text", shellyOnlineSchema, "shelly-online", (_t, v) =>
        this.setDeviceOnline(v === "true"),
      ),
      connection.subscribeParsed(
        this.topics.state,
        "text",
        shellyGen1StateSchema,
        "shelly-state",
        (_t, v) => {
          if (v === "on") this.confirm();
        },
      ),
    ];
  }

  override async stop(): Promise<void> {
    // Close now rather than leave the door open until the device's own Auto OFF.
    for (const t of this.offTimers) {
      clearTimeout(t);
      this.deps.connection.publish(this.topics.command, "off", { qos: 1 });
    }
    this.offTimers.clear();
    await super.stop();
  }

  protected sendHold(open: boolean): boolean {
    for (const t of this.offTimers) clearTimeout(t);
    this.offTimers.clear();
    return this.deps.connection.publish(this.topics.command, open ? "on" : "off", { qos: 1 });
  }

  protected sendOpen(command: PulseCommand, _key: string, wire: IClientPublishOptions): boolean {
    if (!this.deps.connection.publish(this.topics.command, "on", wire)) return false;
    const timer = setTimeout(() => {
      this.offTimers.delete(timer);
      // A late "off" is harmless, so it may wait for a reconnect: QoS 1, no expiry.
      if (!this.deps.connection.publish(this.topics.command, "off", { qos: 1 })) {
        this.deps.logger.warn("relay off not sent (broker away): device Auto OFF closes it");
      }
    }, command.ms);
    this.offTimers.add(timer);
    return true;
  }
}
