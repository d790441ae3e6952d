import { type MqttConnection, topicMatches } from "../mqtt-connection.js";

/**
 * The part of MqttConnection that site sharing and requests use, in memory: a broker link
 * the test takes down and up, what was published while up, and delivery of a parsed payload
 * to whoever subscribed to a topic (the schema is the subscriber's own business here).
 */
export class FakeMqttConnection {
  private readonly handlers = new Map<string, (topic: string, value: unknown) => void>();
  private readonly rawHandlers = new Map<string, (topic: string, payload: Buffer) => void>();
  private readonly listeners: ((up: boolean) => void)[] = [];
  /** What was published while up, payloads parsed as JSON. */
  readonly sent: { topic: string; payload: Record<string, unknown> }[] = [];
  private up: boolean;
  /** While true, the broker's acknowledgements are held back (a broker that just died). */
  holdingAcks = false;
  private readonly heldAcks: (() => void)[] = [];

  constructor(up = true) {
    this.up = up;
  }

  /** This fake where an MqttConnection is expected. */
  get connection(): MqttConnection {
    const self = this;
    return {
      subscribeParsed: (
        topic: string,
        _f: string,
        _s: unknown,
        _k: string,
        on: (t: string, v: unknown) => void,
      ) => {
        self.handlers.set(topic, on);
        return () => self.handlers.delete(topic);
      },
      subscribe: (filter: string, on: (t: string, p: Buffer) => void) => {
        self.rawHandlers.set(filter, on);
        return () => self.rawHandlers.delete(filter);
      },
      onConnection: (l: (up: boolean) => void) => {
        self.listeners.push(l);
        return () => undefined;
      },
      publish: (topic: string, payload: string, _options: unknown, onAcked?: () => void) => {
        if (!self.up) return false;
        self.sent.push({ topic, payload: JSON.parse(payload) as Record<string, unknown> });
        if (onAcked !== undefined) {
          if (self.holdingAcks) self.heldAcks.push(onAcked);
          else onAcked();
        }
        return true;
      },
      flush: () => undefined,
      get connected() {
        return self.up;
      },
    } as unknown as MqttConnection;
  }

  get connected(): boolean {
    return this.up;
  }

  /** Delivers the acknowledgements held back so far. */
  releaseAcks(): void {
    for (const ack of this.heldAcks.splice(0)) ack();
  }

  setUp(value: boolean): void {
    this.up = value;
    for (const l of this.listeners) l(value);
  }

  /** Hands raw `payload` bytes to the raw subscribers (`subscribe`) whose filter matches `topic`. */
  deliverRaw(topic: string, payload: Buffer | string): void {
    const bytes = typeof payload === "string" ? Buffer.from(payload) : payload;
    for (const [filter, on] of this.rawHandlers) if (topicMatches(filter, topic)) on(topic, bytes);
  }

  /** Hands `value` (a parsed payload) to the subscribers whose filter matches `topic`. */
  deliver(topic: string, value: unknown): void {
    for (const [filter, on] of this.handlers) if (topicMatches(filter, topic)) on(topic, value);
  }
}
