import type { MqttClient } from "mqtt";
import type { Clock } from "../platform/clock.js";
import { describeError } from "../platform/log/describe-error.js";
import type { Logger } from "../platform/log/logger.js";
import { type FirmwarePayloadForm, firmwareScanBytes } from "./firmware-payload.js";
import { type FrameAffixes, frameText } from "./frame-text.js";
import type { ReaderState, ScanSource, ScanSourceEvents } from "./scan-source.js";

export interface MqttReaderOptions extends FrameAffixes {
  /** Exact topic, no wildcards, e.g. tele/reader-in/RESULT. */
  readonly topic: string;
  readonly form: FirmwarePayloadForm;
  /** Longest scan accepted, in bytes. */
  readonly maxBytes: number;
}

/**
 * Scans a reader's firmware publishes over MQTT (Tasmota serial bridge, ESPHome, custom).
 * The client is shared and owned by the composition root; this source only subscribes to
 * its topic and filters messages by it, and follows the client's connection as its state
 * (mqtt.js reconnects and resubscribes by itself).
 */
export class MqttScanSource implements ScanSource {
  private events: ScanSourceEvents | undefined;
  private state: ReaderState | undefined;
  private readonly onMessage = (topic: string, payload: Buffer) => {
    if (topic === this.options.topic) this.handle(payload);
  };
  private readonly onConnect = () => this.subscribe();
  private readonly onOffline = () => this.setState("disconnected");

  constructor(
    readonly id: string,
    private readonly options: MqttReaderOptions,
    private readonly deps: { client: MqttClient; clock: Clock; logger: Logger },
  ) {}

  async start(events: ScanSourceEvents): Promise<void> {
    this.events = events;
    const { client } = this.deps;
    client.on("message", this.onMessage);
    client.on("connect", this.onConnect);
    client.on("offline", this.onOffline);
    client.on("close", this.onOffline);
    if (client.connected) this.subscribe();
    else this.setState("connecting");
  }

  async stop(): Promise<void> {
    const { client } = this.deps;
    this.events = undefined;
    client.off("message", this.onMessage);
    client.off("connect", this.onConnect);
    client.off("offline", this.onOffline);
    client.off("close", this.onOffline);
    if (client.connected) {
      await client.unsubscribeAsync(this.options.topic).catch((err: unknown) => {
        this.deps.logger.debug({ reader: this.id, err: describeError(err) }, "unsubscribe failed");
      });
    }
  }

  private subscribe(): void {
    this.deps.client.subscribe(this.options.topic, { qos: 1 }, (err) => {
      if (err) {
        this.deps.logger.warn({ reader: this.id, err: describeError(err) }, "reader topic subscribe failed");
        this.setState("disconnected");
      } else this.setState("connected");
    });
  }

  private handle(payload: Buffer): void {
    const events = this.events;
    if (events === undefined) return;
    const extracted = firmwareScanBytes(payload, this.options.form, this.options.maxBytes);
    if ("ignored" in extracted) return;
    if ("rejected" in extracted) {
      events.rejected(this.id, extracted.rejected);
      return;
    }
    const result = frameText(extracted.bytes, this.options);
    if ("rejected" in result) events.rejected(this.id, result.rejected);
    else if (Buffer.byteLength(result.text) > this.options.maxBytes) events.rejected(this.id, "too_long");
    else if (result.text.length > 0)
      events.scan({ reader: this.id, text: result.text, at: this.deps.clock.now() });
  }

  private setState(state: ReaderState): void {
    if (state === this.state) return;
    this.state = state;
    this.events?.state?.(this.id, state);
  }
}
