import { connect, type MqttClient } from "mqtt";
import { z } from "zod";
import { CAMPUS_SITE } from "./campus-config.js";

/** A gate's answer on `response/<cmd>` (docs/mqtt.md), as far as a client on the broker reads it. */
const responseSchema = z.object({
  status: z.enum(["ok", "error"]),
  data: z.record(z.string(), z.unknown()),
  error: z.string().max(512).optional(),
  transaction: z.union([z.string().max(64), z.number()]).optional(),
});

export type GateResponse = z.infer<typeof responseSchema>;

/** The request topic of `command` at a campus gate. */
export function requestTopic(gate: string, command: "mode" | "pulse" | "status"): string {
  return `passgate/${CAMPUS_SITE}/${gate}/request/${command}`;
}

/**
 * A client on the campus broker that sends requests to the gates and reads every gate's
 * responses: the guard desk's console, or an intruder watching whether its requests worked.
 * Requests go at QoS 0 and are never queued while the broker is away (a pulse sent late
 * would open a turnstile for nobody): an unsent request simply gets no answer.
 */
export class OperatorClient {
  private client: MqttClient | undefined;
  private readonly waiting = new Map<string, (response: GateResponse) => void>();
  private readonly listeners = new Set<(gate: string, response: GateResponse) => void>();

  constructor(private readonly name: string) {}

  async start(url: string, protocolVersion: 4 | 5): Promise<void> {
    const client = connect(url, {
      protocolVersion,
      clientId: `sim-campus-${this.name}-${Math.random().toString(16).slice(2, 10)}`,
      reconnectPeriod: 200,
      queueQoSZero: false,
    });
    this.client = client;
    // A restarted broker keeps no session: subscribe again on every connect.
    client.on("connect", () => {
      client.subscribe(`passgate/${CAMPUS_SITE}/+/response/+`, { qos: 0 });
    });
    client.on("message", (topic, payload) => this.handle(topic, payload.toString("utf8")));
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
  }

  /** Every response any gate publishes, with the gate's id. */
  onResponse(listener: (gate: string, response: GateResponse) => void): void {
    this.listeners.add(listener);
  }

  /** Publishes `payload` on `topic`; false when the broker is away (nothing is sent). */
  send(topic: string, payload: string): boolean {
    const client = this.client;
    if (client === undefined || !client.connected) return false;
    client.publish(topic, payload, { qos: 0 });
    return true;
  }

  /**
   * Sends a request and waits for the response echoing `transaction`; undefined when none
   * came within `timeoutMs` (or the request could not be sent).
   */
  ask(
    topic: string,
    payload: string,
    transaction: string,
    timeoutMs: number,
  ): Promise<GateResponse | undefined> {
    return new Promise((resolve) => {
      const done = (response: GateResponse | undefined) => {
        clearTimeout(timer);
        this.waiting.delete(transaction);
        resolve(response);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.waiting.set(transaction, done);
      if (!this.send(topic, payload)) done(undefined);
    });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
    this.client = undefined;
  }

  private handle(topic: string, text: string): void {
    const gate = topic.split("/")[2] ?? "";
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // A gate answers only in JSON; anything else on its topic is not an answer.
      return;
    }
    const response = responseSchema.safeParse(parsed);
    if (!response.success) return;
    for (const l of this.listeners) l(gate, response.data);
    const transaction = response.data.transaction;
    if (typeof transaction === "string") this.waiting.get(transaction)?.(response.data);
  }
}
