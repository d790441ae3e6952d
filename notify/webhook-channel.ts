import { createHmac } from "node:crypto";
import type { Clock } from "../platform/clock.js";
import { type DeliveryChannel, DeliveryError, type OutgoingNotice } from "./delivery-channel.js";
import type { Guardian } from "./guardian-directory.js";
import { noticeLine } from "./notice-text.js";

/** The headers of a webhook request (docs/notices.md: how a receiver checks them). */
export const SIGNATURE_HEADER = "X-Passgate-Signature";
export const TIMESTAMP_HEADER = "X-Passgate-Timestamp";

/** The JSON body of a webhook request. */
export interface WebhookBody {
  /** The notice's id: the same on a retry, so a receiver drops what it already has. */
  readonly id: string;
  readonly guardian: string;
  readonly person: string;
  readonly name: string | null;
  readonly gate: string;
  readonly direction: "in" | "out";
  /** Epoch ms of the passage. */
  readonly at: number;
  /** Epoch ms at which this request was sent; equal to the timestamp header, and signed with the body. */
  readonly sentAt: number;
  /** The notice in Russian, ready to show. */
  readonly text: string;
}

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes under the shared secret. */
export function webhookSignature(secret: Buffer, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

/**
 * Notices by HTTP POST of JSON to the guardian's webhook (a messenger bridge such as a
 * Telegram bot), signed with the site's shared secret. Built on Node's fetch rather than a
 * client library: one request, a timeout and no redirects is all it takes. A redirect is
 * refused, not followed: the signed notice must not be carried to an address nobody set.
 */
export class WebhookChannel implements DeliveryChannel {
  readonly kind = "webhook";

  constructor(
    private readonly options: {
      readonly secret: Buffer;
      readonly timeZone: string;
      readonly timeoutMs: number;
      readonly clock: Clock;
    },
  ) {}

  async send(notice: OutgoingNotice, guardian: Guardian): Promise<void> {
    const url = guardian.webhook?.url;
    if (url === undefined) throw new DeliveryError("the guardian has no webhook", true);
    const sentAt = this.options.clock.now();
    const payload: WebhookBody = {
      id: notice.noticeId,
      guardian: guardian.id,
      person: notice.person,
      name: notice.name ?? null,
      gate: notice.gate,
      direction: notice.direction,
      at: notice.at,
      sentAt,
      text: noticeLine(notice, this.options.timeZone),
    };
    const body = JSON.stringify(payload);
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        redirect: "manual",
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: {
          "content-type": "application/json; charset=utf-8",
          [SIGNATURE_HEADER]: webhookSignature(this.options.secret, body),
          [TIMESTAMP_HEADER]: String(sentAt),
          "user-agent": "passgate-notify",
        },
        body,
      });
    } catch (err) {
      // The URL is left out of the reason: a bridge's address may carry its own token.
      const name = err instanceof Error ? err.name : "";
      throw new DeliveryError(name === "TimeoutError" ? "webhook timed out" : "webhook unreachable");
    }
    // The answer is not read beyond its status; dropping the body frees the connection.
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return;
    if (response.status >= 300 && response.status < 400)
      throw new DeliveryError(`webhook answered a redirect (HTTP ${response.status}), refused`, true);
    // 408 and 429 ask to come back later, as 5xx do; any other 4xx will not change by itself.
    const permanent =
      response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status);
    throw new DeliveryError(`webhook answered HTTP ${response.status}`, permanent);
  }

  async close(): Promise<void> {}
}
