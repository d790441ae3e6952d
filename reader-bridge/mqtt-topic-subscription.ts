import type { MqttClient } from "mqtt";
import { describeError } from "../platform/log/describe-error.js";
import type { Logger } from "../platform/log/logger.js";
import type { ReaderState } from "./scan-source.js";

/**
 * One reader's exact topic on a shared MQTT client (owned by the composition root): it
 * subscribes while the client is connected, hands on the messages of that topic only, and
 * follows the client's connection as the reader's state (mqtt.js reconnects by itself; the
 * topic is subscribed again on every connect). Shared by the firmware and bridge sources.
 */
export class TopicSubscription {
  private state: ReaderState | undefined;
  private onPayload: ((payload: Buffer) => void) | undefined;
  private onState: ((state: ReaderState) => void) | undefined;
  private readonly onMessage = (topic: string, payload: Buffer) => {
    if (topic === this.topic) this.onPayload?.(payload);
  };
  private readonly onConnect = () => this.subscribe();
  private readonly onOffline = () => this.setState("disconnected");

  constructor(
    private readonly reader: string,
    private readonly topic: string,
    private readonly client: MqttClient,
    private readonly logger: Logger,
  ) {}

  start(onPayload: (payload: Buffer) => void, onState: (state: ReaderState) => void): void {
    this.onPayload = onPayload;
    this.onState = onState;
    const { client } = this;
    client.on("message", this.onMessage);
    client.on("connect", this.onConnect);
    client.on("offline", this.onOffline);
    client.on("close", this.onOffline);
    if (client.connected) this.subscribe();
    else this.setState("connecting");
  }

  async stop(): Promise<void> {
    const { client } = this;
    this.onPayload = undefined;
    this.onState = undefined;
    client.off("message", this.onMessage);
    client.off("connect", this.onConnect);
    client.off("offline", this.onOffline);
    client.off("close", this.onOffline);
    if (client.connected) {
      await client.unsubscribeAsync(this.topic).catch((err: unknown) => {
        this.logger.debug({ reader: this.reader, err: describeError(err) }, "unsubscribe failed");
      });
    }
  }

  private subscribe(): void {
    this.client.subscribe(this.topic, { qos: 1 }, (err) => {
      if (err) {
        this.logger.warn({ reader: this.reader, err: describeError(err) }, "reader topic subscribe failed");
        this.setState("disconnected");
      } else this.setState("connected");
    });
  }

  private setState(state: ReaderState): void {
    if (state === this.state) return;
    this.state = state;
    this.onState?.(state);
  }
}
