import { connect, type MqttClient } from "mqtt";

/**
 * A turnstile's rotation sensor wired to a relay board's input: each `rotate()` publishes
 * `payload` on `topic`, as a Tasmota switch input (`stat/<topic>/SWITCH1 ON`) or a Shelly
 * input event would.
 */
export class TurnstileEmulator {
  private client: MqttClient | undefined;

  constructor(
    readonly topic: string,
    readonly payload = "ON",
  ) {}

  async start(url: string): Promise<void> {
    const client = connect(url, { protocolVersion: 4, reconnectPeriod: 100 });
    this.client = client;
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
  }

  /** One arm rotation: a person went through (or pushed through). */
  async rotate(): Promise<void> {
    await this.client?.publishAsync(this.topic, this.payload, { qos: 1 });
  }

  /** A payload that is not a rotation (the switch going back to OFF, or noise). */
  async send(payload: string): Promise<void> {
    await this.client?.publishAsync(this.topic, payload, { qos: 1 });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
    this.client = undefined;
  }
}
