import type { z } from "zod";
import { genericHoldSchema, genericOpenCommandSchema } from "../../daemon/mqtt/topics.js";
import { DeviceEmulator } from "./device-emulator.js";

/**
 * Custom relay firmware speaking passgate's generic protocol (docs/mqtt.md): acts on
 * each command id once, refuses a command past its `notAfter`, and acknowledges each
 * with what it did. Its clock is the host's, as an NTP-synced board's would be.
 */
export class GenericRelayEmulator extends DeviceEmulator {
  protected readonly will;
  protected readonly commandFilter;
  private readonly seen = new Set<string>();
  readonly refused: { id: string; result: "late" | "duplicate" }[] = [];

  /** `protocolVersion` 4 for brokers without MQTT 5 (the embedded aedes): commands then carry only their own `notAfter`. */
  constructor(
    readonly device: string,
    protected readonly protocolVersion: 4 | 5 = 5,
  ) {
    super();
    this.will = { topic: `pgrelay/${device}/status`, offline: "offline", online: "online" };
    this.commandFilter = [`pgrelay/${device}/+/open`, `pgrelay/${device}/+/hold`];
  }

  /** Channels held open by free passage. */
  private readonly held = new Set<number>();
  /** Channels pulsed open until the epoch ms given. */
  private readonly openUntil = new Map<number, number>();

  isOn(n: number): boolean {
    return this.held.has(n) || (this.openUntil.get(n) ?? 0) > Date.now();
  }

  protected handle(topic: string, payload: string): void {
    const channel = Number(topic.split("/")[2]);
    if (topic.endsWith("/hold")) {
      const hold = parseJson(payload, genericHoldSchema);
      if (hold?.open === true) this.held.add(channel);
      else if (hold?.open === false) this.held.delete(channel);
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(payload);
    } catch {
      return;
    }
    const parsed = genericOpenCommandSchema.safeParse(raw);
    if (!parsed.success) return;
    const command = parsed.data;
    const ack = topic.replace(/\/open$/, "/ack");
    let result: "opened" | "late" | "duplicate" = "opened";
    if (this.seen.has(command.id)) result = "duplicate";
    else if (Date.now() > command.notAfter) result = "late";
    this.seen.add(command.id);
    if (result === "opened") {
      this.recordOpen(command.ms, command.id);
      this.openUntil.set(channel, Date.now() + command.ms);
    } else this.refused.push({ id: command.id, result });
    if (this.reportState) this.publish(ack, JSON.stringify({ id: command.id, result }));
  }

  /** Publishes a raw payload on a command topic, as a misbehaving or replaying client would. */
  inject(topic: string, payload: string): void {
    this.publish(topic, payload);
  }
}

function parseJson<S extends z.ZodType>(text: string, schema: S): z.infer<S> | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
