import { connect, type IClientOptions, type MqttClient } from "mqtt";

/** One open the emulated relay executed: when, and for how long. */
export interface EmulatedOpen {
  /** Epoch ms the device acted on the command. */
  readonly at: number;
  readonly ms: number;
  /** The command's own id, where the protocol has one. */
  readonly id?: string;
}

/**
 * The MQTT side every emulated device shares: its own client (as a real board has), a
 * retained will that marks it offline, a retained birth, and `dropOff()` to vanish
 * without a clean disconnect so the broker publishes the will.
 */
export abstract class DeviceEmulator {
  protected client: MqttClient | undefined;
  readonly opens: EmulatedOpen[] = [];
  /** Every command payload received, with its arrival time (epoch ms). */
  readonly received: {
    readonly at: number;
    readonly topic: string;
    readonly payload: string;
    /** The MQTT 5 message expiry left on arrival, s (MQTT 5 devices only). */
    readonly expiry?: number | undefined;
  }[] = [];
  /** When false, the device acts but does not report its state (a lost confirmation). */
  reportState = true;
  /** Called on each command's arrival with `performance.now()`: what the bench times. */
  onCommand: ((perfAt: number) => void) | undefined;
  /** Called with each open the device executes (`passgate sim relay` prints them). */
  onOpen: ((open: EmulatedOpen) => void) | undefined;

  protected abstract readonly will: {
    readonly topic: string;
    readonly offline: string;
    readonly online: string;
  };
  protected abstract readonly commandFilter: string | string[];
  protected abstract readonly protocolVersion: 4 | 5;
  protected abstract handle(topic: string, payload: string): void;
  /** Whether relay `n` is on now. */
  abstract isOn(n: number): boolean;

  /**
   * Connects to `url` (as `account` on a broker with accounts), publishes the birth and
   * subscribes to its command topics.
   */
  async start(
    url: string,
    account?: { readonly username: string; readonly password: string },
  ): Promise<void> {
    const options: IClientOptions = {
      ...account,
      protocolVersion: this.protocolVersion,
      clientId: `emu-${this.constructor.name}-${Math.random().toString(16).slice(2, 10)}`,
      reconnectPeriod: 100,
      will: { topic: this.will.topic, payload: Buffer.from(this.will.offline), qos: 1, retain: true },
    };
    const client = connect(url, options);
    this.client = client;
    client.on("connect", () => {
      client.publish(this.will.topic, this.will.online, { qos: 1, retain: true });
      client.subscribe(this.commandFilter, { qos: 1 });
    });
    client.on("message", (topic, payload, packet) => {
      this.onCommand?.(performance.now());
      const text = payload.toString("utf8");
      this.received.push({
        at: Date.now(),
        topic,
        payload: text,
        expiry: packet.properties?.messageExpiryInterval,
      });
      this.handle(topic, text);
    });
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
  }

  /** Drops off the network: no DISCONNECT, so the broker publishes the offline will. */
  async dropOff(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    client.options.reconnectPeriod = 0;
    client.stream.destroy();
    await client.endAsync(true);
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
    this.client = undefined;
  }

  protected publish(topic: string, payload: string, retain = false): void {
    this.client?.publish(topic, payload, { qos: 0, retain });
  }

  protected recordOpen(ms: number, id?: string): void {
    const open = id === undefined ? { at: Date.now(), ms } : { at: Date.now(), ms, id };
    this.opens.push(open);
    this.onOpen?.(open);
  }
}
