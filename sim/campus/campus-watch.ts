import { connect, type MqttClient } from "mqtt";
import { z } from "zod";
import { CAMPUS_SITE, type GatePlan } from "./campus-config.js";

/** What the campus sees on the broker: board outputs and the gates' passage and alarm events. */
export type WatchedMessage =
  | { readonly kind: "relay"; readonly gate: string; readonly relay: string; readonly on: boolean }
  | {
      readonly kind: "passage";
      readonly gate: string;
      readonly reader: string;
      readonly result: "passed" | "not_passed" | "forced_passage";
    };

const passageEvent = z.object({
  type: z.enum(["passage", "alarm"]),
  gate: z.string().max(64),
  reader: z.string().max(64),
  result: z.enum(["passed", "not_passed", "forced_passage"]),
});

/**
 * The campus's own MQTT client, as a site dashboard would have: it watches the boards'
 * state topics and the gates' event topic, and publishes the registry's push
 * (registry-sync.md: `pg/registry/{site}/changed`).
 */
export class CampusWatch {
  private client: MqttClient | undefined;
  /** Board state topic → the relay, and how to read "on" from the payload. */
  private readonly relayTopics = new Map<
    string,
    { gate: string; relay: string; isOn: (text: string) => boolean }
  >();

  constructor(
    gates: readonly GatePlan[],
    private readonly onMessage: (message: WatchedMessage) => void,
  ) {
    for (const g of gates) {
      for (const l of g.lanes) {
        const relay = `${l.reader}-turnstile`;
        const b = l.board;
        if (b.type === "tasmota")
          this.relayTopics.set(`stat/${b.topic}/POWER1`, { gate: g.gate, relay, isOn: (t) => t === "ON" });
        else if (b.type === "shelly-gen1")
          this.relayTopics.set(`shellies/${b.id}/relay/0`, { gate: g.gate, relay, isOn: (t) => t === "on" });
        else this.relayTopics.set(`${b.id}/status/switch:0`, { gate: g.gate, relay, isOn: gen2Output });
      }
    }
  }

  async start(url: string, protocolVersion: 4 | 5): Promise<void> {
    const client = connect(url, {
      protocolVersion,
      clientId: `sim-campus-watch-${Math.random().toString(16).slice(2, 10)}`,
      reconnectPeriod: 200,
    });
    this.client = client;
    client.on("connect", () => {
      client.subscribe([...this.relayTopics.keys(), `passgate/${CAMPUS_SITE}/+/event`], { qos: 0 });
    });
    client.on("message", (topic, payload) => this.handle(topic, payload.toString("utf8")));
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
  }

  /** Publishes the registry's push for version `to`; false when the broker is away (the gates then poll). */
  pushChanged(to: number): boolean {
    const client = this.client;
    if (client === undefined || !client.connected) return false;
    client.publish(`pg/registry/${CAMPUS_SITE}/changed`, JSON.stringify({ to }), { qos: 1 });
    return true;
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
    this.client = undefined;
  }

  private handle(topic: string, text: string): void {
    const relay = this.relayTopics.get(topic);
    if (relay !== undefined) {
      this.onMessage({ kind: "relay", gate: relay.gate, relay: relay.relay, on: relay.isOn(text) });
      return;
    }
    if (!topic.endsWith("/event")) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // A gate publishes only JSON here; anything else is not ours to count.
      return;
    }
    const event = passageEvent.safeParse(parsed);
    if (!event.success) return;
    const { gate, reader, result } = event.data;
    this.onMessage({ kind: "passage", gate, reader, result });
  }
}

/** A Shelly Gen2 switch status: `{"id":0,"output":true}`. */
function gen2Output(text: string): boolean {
  try {
    return (JSON.parse(text) as { output?: unknown }).output === true;
  } catch {
    // Not a status frame: the switch is not reported on.
    return false;
  }
}
