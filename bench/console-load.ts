import { randomUUID } from "node:crypto";
import { connectAsync, type MqttClient } from "mqtt";
import {
  type DecisionEventPayload,
  type GateStatePayload,
  gateTopics,
  STATUS_PAYLOADS,
} from "../daemon/mqtt/topics.js";

export interface SiteLoadOptions {
  readonly brokerUrl: string;
  readonly site: string;
  readonly gates: number;
  /** Each gate has an "in" and an "out" lane. */
  readonly peoplePerMinutePerLane: number;
}

/**
 * A site's gates as the console hears them, without running 50 daemons on a 2-core machine:
 * one MQTT client per gate publishing what a gate publishes for the console (its retained
 * status and state, then one decision event per scan at the lane's pace, and its state again
 * every 30 s as relays come and go). Each decision's id is remembered with the
 * `performance.now()` of its publish, so a receiver in the same process can time it.
 */
export class SiteLoad {
  readonly published = new Map<string, number>();
  private readonly clients: MqttClient[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private seq = 0;

  constructor(private readonly options: SiteLoadOptions) {}

  gateIds(): string[] {
    return Array.from({ length: this.options.gates }, (_, i) => `g${String(i + 1).padStart(2, "0")}`);
  }

  /** Connects every gate and publishes its birth and retained state. */
  async connect(): Promise<void> {
    for (const gate of this.gateIds()) {
      const topics = gateTopics({ prefix: "passgate", site: this.options.site, gate });
      const client = await connectAsync(this.options.brokerUrl, {
        protocolVersion: 5,
        clientId: `bench-gate-${gate}-${randomUUID().slice(0, 8)}`,
      });
      this.clients.push(client);
      await client.publishAsync(topics.status, STATUS_PAYLOADS.online, { qos: 1, retain: true });
      await client.publishAsync(topics.state, JSON.stringify(this.state(gate)), { qos: 1, retain: true });
    }
  }

  /** Starts the crowd: every lane scans at its pace, phases spread so lanes do not beat together. */
  start(): void {
    const perLaneMs = 60_000 / this.options.peoplePerMinutePerLane;
    this.gateIds().forEach((gate, g) => {
      const client = this.clients[g];
      if (client === undefined) return;
      const topics = gateTopics({ prefix: "passgate", site: this.options.site, gate });
      for (const [l, reader] of (["in", "out"] as const).entries()) {
        const lane = g * 2 + l;
        const phase = (perLaneMs * lane) / (this.options.gates * 2);
        const first = setTimeout(() => {
          this.timers.push(setInterval(() => this.decide(client, topics.event, gate, reader), perLaneMs));
          this.decide(client, topics.event, gate, reader);
        }, phase);
        this.timers.push(first);
      }
      const state = setInterval(
        () => client.publish(topics.state, JSON.stringify(this.state(gate)), { qos: 1, retain: true }),
        30_000,
      );
      this.timers.push(state);
    });
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await Promise.all(this.clients.map((c) => c.endAsync()));
  }

  private decide(client: MqttClient, topic: string, gate: string, reader: "in" | "out"): void {
    const id = randomUUID();
    this.seq++;
    const granted = this.seq % 10 !== 0;
    const person = `p-${String(this.seq % 5000).padStart(4, "0")}`;
    const event: DecisionEventPayload = {
      type: "decision",
      id,
      seq: this.seq,
      at: Date.now(),
      gate,
      reader,
      direction: reader,
      credential: String(10_000 + (this.seq % 5000)),
      person,
      result: granted ? "granted" : "denied",
      reason: granted ? "ok" : "replayed",
      flags: [],
    };
    this.published.set(id, performance.now());
    // QoS 0, as the gate publishes its events.
    client.publish(topic, JSON.stringify(event), { qos: 0 });
  }

  private state(gate: string): GateStatePayload {
    return {
      gate,
      mode: "normal",
      modeSince: Date.now() - 3_600_000,
      modeSource: "config",
      relays: { "in-turnstile": true, "out-turnstile": true },
      at: Date.now(),
    };
  }
}
