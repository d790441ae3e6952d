import type { IClientPublishOptions } from "mqtt";
import { z } from "zod";
import {
  type GenericOpenCommand,
  genericAckSchema,
  genericRelayTopics,
  STATUS_PAYLOADS,
} from "../mqtt/topics.js";
import { MqttRelayBase, type MqttRelayDeps } from "./mqtt-relay-base.js";
import { type PulseCommand, RelayError } from "./relay-driver.js";

const availabilitySchema = z.enum([STATUS_PAYLOADS.online, STATUS_PAYLOADS.offline]);

/**
 * passgate's own relay protocol (docs/mqtt.md), for custom firmware: each open carries a
 * unique id, its issue time and `notAfter`, so the device itself drops a late or repeated
 * command, and it acknowledges every command with what it did.
 */
export class GenericRelayDriver extends MqttRelayBase {
  private readonly topics;

  constructor(
    id: string,
    target: { readonly device: string; readonly channel: number },
    deps: MqttRelayDeps,
  ) {
    super(id, deps);
    this.topics = genericRelayTopics(target.device, target.channel);
  }

  protected subscribeDevice(): (() => void)[] {
    const { connection } = this.deps;
    return [
      connection.subscribeParsed(
        this.topics.availability,
        "text",
        availabilitySchema,
        "relay-status",
        (_t, v) => this.setDeviceOnline(v === "online"),
      ),
      connection.subscribeParsed(this.topics.ack, "json", genericAckSchema, "relay-ack", (_t, ack) => {
        if (ack.result === "opened") this.confirm(ack.id);
        else this.fail(ack.id, new RelayError("refused", `relay ${this.id}: device refused (${ack.result})`));
      }),
    ];
  }

  protected sendHold(open: boolean): boolean {
    return this.deps.connection.publish(this.topics.hold, JSON.stringify({ open }), { qos: 1, retain: true });
  }

  protected sendOpen(command: PulseCommand, key: string, wire: IClientPublishOptions): boolean {
    const payload: GenericOpenCommand = {
      id: key,
      ms: command.ms,
      issuedAt: this.deps.clock.now(),
      notAfter: command.notAfter,
    };
    return this.deps.connection.publish(this.topics.command, JSON.stringify(payload), wire);
  }
}
