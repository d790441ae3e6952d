import { connect, type MqttClient } from "mqtt";
import { z } from "zod";
import {
  type DecisionEventPayload,
  decisionEventSchema,
  type GateStatePayload,
  gateStateSchema,
} from "../../daemon/mqtt/topics.js";
import { CAMPUS_SITE, type GatePlan } from "./campus-config.js";

/**
 * What the campus sees on the broker: board outputs, the gates' passage and alarm events,
 * their retained status and state, and (when asked for) their decision events.
 */
export type WatchedMessage =
  | { readonly kind: "status"; readonly gate: string; readonly online: boolean }
  | { readonly kind: "state"; readonly gate: string; readonly state: GateStatePayload }
  | { readonly kind: "decision"; readonly gate: string; readonly event: DecisionEventPayload }
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
    /** Whether to hand on decision events: how the campus learns the decisions of gate processes. */
    private readonly decisions = false,
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
      const gate = `passgate/${CAMPUS_SITE}/+`;
      client.subscribe([...this.relayTopics.keys(), `${gate}/status`, `${gate}/state`], { qos: 0 });
      // QoS 1 when decisions are read from it: a decision the campus missed is a scan it cannot judge.
      client.subscribe(`${gate}/event`, { qos: this.decisions ? 1 : 0 });
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
    const gate = topic.split("/")[2] ?? "";
    if (topic.endsWith("/status")) {
      this.onMessage({ kind: "status", gate, online: text === "online" });
      return;
    }
    if (!topic.endsWith("/event") && !topic.endsWith("/state")) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // A gate publishes only JSON here; anything else is not ours to count.
      return;
    }
    if (topic.endsWith("/state")) {
      const state = gateStateSchema.safeParse(parsed);
      if (state.success) this.onMessage({ kind: "state", gate, state: state.data });
      return;
    }
    if (this.decisions) {
      const decision = decisionEventSchema.safeParse(parsed);
      if (decision.success) {
        const { id, seq, name, ...rest } = decision.data;
        this.onMessage({
          kind: "decision",
          gate,
          event: { ...rest, id, seq, ...(name === undefined ? {} : { name }) },
        });
        return;
      }
    }
    const event = passageEvent.safeParse(parsed);
    if (!event.success) return;
    const { reader, result } = event.data;
    this.onMessage({ kind: "passage", gate: event.data.gate, reader, result });
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
