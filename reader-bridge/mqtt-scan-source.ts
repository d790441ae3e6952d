import type { MqttClient } from "mqtt";
import type { Clock } from "../platform/clock.js";
import type { Logger } from "../platform/log/logger.js";
import { type FirmwarePayloadForm, firmwareScanBytes } from "./firmware-payload.js";
import { type FrameAffixes, frameText } from "./frame-text.js";
import { TopicSubscription } from "./mqtt-topic-subscription.js";
import type { ScanSource, ScanSourceEvents } from "./scan-source.js";

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
  private readonly subscription: TopicSubscription;

  constructor(
    readonly id: string,
    private readonly options: MqttReaderOptions,
    private readonly deps: { client: MqttClient; clock: Clock; logger: Logger },
  ) {
    this.subscription = new TopicSubscription(id, options.topic, deps.client, deps.logger);
  }

  async start(events: ScanSourceEvents): Promise<void> {
    this.events = events;
    this.subscription.start(
      (payload) => this.handle(payload),
      (state) => this.events?.state?.(this.id, state),
    );
  }

  async stop(): Promise<void> {
    this.events = undefined;
    await this.subscription.stop();
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
}
