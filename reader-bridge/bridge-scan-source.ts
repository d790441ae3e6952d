import type { MqttClient } from "mqtt";
import { bridgeScanSchema, MAX_INBOUND_BYTES } from "../daemon/mqtt/topics.js";
import type { SiteTrust } from "../daemon/trust/site-trust.js";
import type { Clock } from "../platform/clock.js";
import type { Logger } from "../platform/log/logger.js";
import { TopicSubscription } from "./mqtt-topic-subscription.js";
import type { ScanSource, ScanSourceEvents } from "./scan-source.js";
import { scanText } from "./scan-text.js";

export interface BridgeReaderOptions {
  /** `<prefix>/<site>/<gate>/reader/<id>/scan`: the topic the reader's bridge signs for. */
  readonly topic: string;
  /** This gate's id: a bridge feeds one gate. */
  readonly gate: string;
  /** `trust.bridgeFreshness`: a message older (or newer) than this by the gate's clock is refused. */
  readonly freshnessMs: number;
  /** Longest scan accepted, in bytes (the reader's `maxLength`). */
  readonly maxBytes: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Refusals are counted under this kind in the gate's trust refusals (`status`). */
export const BRIDGE_SCAN_KIND = "bridge-scan";

/**
 * Scans of a reader beside a turnstile, sent by its reader bridge (`passgate bridge run`)
 * as signed messages (site-roster.md). A scan is delivered only when an active bridge of
 * the roster signed it for this gate and this reader, fresh within `trust.bridgeFreshness`
 * and not seen before; everything else is refused and counted by reason, never delivered.
 * The scan keeps the time the scanner delivered it to the bridge, so the gate can refuse
 * one that waited too long (`stale_scan`) instead of opening late. Unsigned scans are never
 * taken, whatever `trust.acceptUnsigned` says: no bridge ever sent one.
 */
export class BridgeScanSource implements ScanSource {
  private events: ScanSourceEvents | undefined;
  private readonly subscription: TopicSubscription;

  constructor(
    readonly id: string,
    private readonly options: BridgeReaderOptions,
    private readonly deps: {
      client: MqttClient;
      trust: Pick<SiteTrust, "check" | "refuse">;
      /** Whether a signer may deliver one more scan now (shared by all its readers); default always. */
      admit?: (signer: string, now: number) => boolean;
      clock: Clock;
      logger: Logger;
    },
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
    const { trust } = this.deps;
    // Input from the reader side is bounded and must be text before anything else looks at it.
    if (payload.length > MAX_INBOUND_BYTES) {
      events.rejected(this.id, "too_long");
      return;
    }
    let json: string;
    try {
      json = utf8.decode(payload);
    } catch {
      events.rejected(this.id, "not_utf8");
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      trust.refuse(BRIDGE_SCAN_KIND, "malformed");
      return;
    }
    const now = this.deps.clock.now();
    const verdict = trust.check(
      this.options.topic,
      value,
      ["bridge"],
      BRIDGE_SCAN_KIND,
      this.options.freshnessMs,
      "never",
    );
    if (!verdict.ok || verdict.signer === undefined) return;
    const signer = verdict.signer;
    const body = bridgeScanSchema.safeParse(verdict.body);
    if (!body.success) {
      trust.refuse(BRIDGE_SCAN_KIND, "invalid_body", signer.id);
      return;
    }
    const scan = body.data;
    // A bridge speaks only for the readers the roster gives it, at its own gate.
    if (scan.reader !== this.id || signer.gate !== this.options.gate || !signer.readers?.includes(this.id)) {
      trust.refuse(BRIDGE_SCAN_KIND, "not_authorized", signer.id);
      return;
    }
    // A bridge that floods (a stolen key, a broken board) is held to its share, counted.
    if (this.deps.admit !== undefined && !this.deps.admit(signer.id, now)) {
      trust.refuse(BRIDGE_SCAN_KIND, "rate_limited", signer.id);
      return;
    }
    // A scan from the future cannot be judged for lateness: refused, whoever signed it.
    if (scan.scannedAt > now + this.options.freshnessMs) {
      trust.refuse(BRIDGE_SCAN_KIND, "out_of_bounds", signer.id);
      return;
    }
    const bytes = Buffer.from(scan.text, "utf8");
    if (bytes.length > this.options.maxBytes) {
      events.rejected(this.id, "too_long");
      return;
    }
    const text = scanText(bytes);
    if ("rejected" in text) {
      events.rejected(this.id, text.rejected);
      return;
    }
    if (text.text.length === 0) return;
    events.scan({
      reader: this.id,
      text: text.text,
      at: scan.scannedAt,
      bridge: { member: signer.id, seq: scan.seq, maxAgeMs: this.options.freshnessMs },
    });
  }
}
