import type { Transporter } from "nodemailer";
import { type DeliveryChannel, DeliveryError, type OutgoingNotice } from "./delivery-channel.js";
import type { Guardian } from "./guardian-directory.js";
import { noticeMailHtml, noticeMailText, noticeSubject } from "./notice-text.js";

/**
 * Notices by e-mail through the site's SMTP server (nodemailer): the Russian text as plain
 * text and as HTML with every character of the name escaped. The transport is made by the
 * composition root (notify-app.ts) with the timeouts of `delivery.timeout`.
 */
export class EmailChannel implements DeliveryChannel {
  readonly kind = "email";

  constructor(
    private readonly transport: Transporter,
    private readonly options: { readonly from: string; readonly timeZone: string },
  ) {}

  async send(notice: OutgoingNotice, guardian: Guardian): Promise<void> {
    if (guardian.email === undefined) throw new DeliveryError("the guardian has no e-mail address", true);
    const facts = { name: notice.name, gate: notice.gate, direction: notice.direction, at: notice.at };
    try {
      await this.transport.sendMail({
        from: this.options.from,
        to: guardian.email,
        subject: noticeSubject(facts, this.options.timeZone),
        text: noticeMailText(facts, this.options.timeZone),
        html: noticeMailHtml(facts, this.options.timeZone),
        // One Message-ID per (notice, guardian): a mail server or client can drop a repeat.
        messageId: `<${notice.noticeId}.${guardian.id}@passgate.notify>`,
      });
    } catch (err) {
      throw smtpFailure(err);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/**
 * A nodemailer error as a short reason without the address: its messages quote the
 * server's reply, which names the recipient. A 5xx refusal of the recipient is permanent.
 */
function smtpFailure(err: unknown): DeliveryError {
  const e = err as { code?: unknown; responseCode?: unknown };
  const code = typeof e.code === "string" && /^[A-Z_]{1,32}$/.test(e.code) ? e.code : "ERROR";
  const reply = typeof e.responseCode === "number" ? e.responseCode : undefined;
  const permanent = code === "EENVELOPE" && reply !== undefined && reply >= 500 && reply < 600;
  return new DeliveryError(reply === undefined ? `SMTP ${code}` : `SMTP ${code} ${reply}`, permanent);
}
