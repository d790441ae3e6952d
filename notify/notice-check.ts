import type { NonceWindow } from "../daemon/trust/nonce-window.js";
import type { Roster } from "../daemon/trust/roster.js";
import { verifyMessage } from "../daemon/trust/signed-message.js";
import { type NoticeBody, noticeBodySchema } from "./notice.js";

/**
 * How far a notice's `at` may be from the notifier's clock, ms: ±5 minutes. Wider than the
 * ±30 s of a gate's requests because a notice may wait in the broker's queue for this
 * service (a restart, a short network cut); a notice older than that is not sent, since
 * news of a passage half an hour ago is no longer news (docs/notices.md).
 */
export const NOTICE_FRESHNESS_MS = 5 * 60_000;

/** How far the passage (`body.at`) may be from the time the gate signed the notice, ms. */
export const PASSAGE_SKEW_MS = 5 * 60_000;

/** Why a notice, or one guardian of it, got nothing sent (counted by `passgate notify status`). */
export type NoticeRefusal =
  /** The payload is not a signed message (no `sig`). */
  | "unsigned"
  /** Not JSON, too large, or not the envelope of a signed message. */
  | "malformed"
  /** The signature does not verify with the signer's key. */
  | "bad_signature"
  /** The signer is not one of the gates in `gates` (or not an active gate there). */
  | "unknown_signer"
  /** Signed more than 5 minutes from this service's clock, either way. */
  | "stale"
  /** The same notice again (a QoS 1 repeat, a restart): its deliveries are queued already. */
  | "duplicate"
  /** The body does not pass the notice's schema and bounds. */
  | "invalid_body"
  /** A gate speaking for another gate's passage. */
  | "wrong_gate"
  /** A guardian who did not consent (one count per guardian of a notice). */
  | "no_consent"
  /** A guardian the guardians file does not list. */
  | "unknown_guardian"
  /** More deliveries wait than the queue holds (`MAX_PENDING`), or more notices came within 10 minutes than are remembered: dropped. */
  | "queue_full"
  /** A guardian who consented but has neither an e-mail address nor a webhook this service can use. */
  | "no_channel";

export type NoticeVerdict =
  | { readonly ok: true; readonly body: NoticeBody; readonly signer: string }
  | { readonly ok: false; readonly reason: NoticeRefusal; readonly signer?: string | undefined };

/**
 * Checks one payload received on the notice topic: a signed message (site-roster.md) of an
 * active gate of `roster`, its signature bound to `topic`, fresh within
 * `NOTICE_FRESHNESS_MS`, not seen before, and a body that passes the schema, names the
 * signer's own gate and a passage close to the time it was signed.
 */
export function checkNotice(
  topic: string,
  payload: Buffer,
  check: { readonly roster: Roster; readonly now: number; readonly nonces: NonceWindow },
): NoticeVerdict {
  if (!looksSigned(payload)) return { ok: false, reason: "unsigned" };
  const verdict = verifyMessage(topic, payload, {
    roster: check.roster,
    kinds: ["gate"],
    now: check.now,
    freshnessMs: NOTICE_FRESHNESS_MS,
    nonces: check.nonces,
  });
  if (!verdict.ok) {
    const reason: NoticeRefusal =
      verdict.reason === "bad_signature"
        ? "bad_signature"
        : verdict.reason === "stale" || verdict.reason === "future"
          ? "stale"
          : verdict.reason === "repeated_nonce"
            ? "duplicate"
            : // Too many notices within the freshness bound to remember them all: a flood.
              verdict.reason === "nonce_window_full"
              ? "queue_full"
              : verdict.reason === "unknown_signer" ||
                  verdict.reason === "revoked_signer" ||
                  verdict.reason === "wrong_kind"
                ? "unknown_signer"
                : "malformed";
    return { ok: false, reason, signer: verdict.signer };
  }
  const signer = verdict.signer.id;
  const body = noticeBodySchema.safeParse(verdict.body);
  if (!body.success) return { ok: false, reason: "invalid_body", signer };
  if (body.data.gate !== verdict.signer.gate) return { ok: false, reason: "wrong_gate", signer };
  if (Math.abs(body.data.at - verdict.at) > PASSAGE_SKEW_MS)
    return { ok: false, reason: "invalid_body", signer };
  return { ok: true, body: body.data, signer };
}

/** Whether the payload is a JSON object with a `sig`; anything else is counted as unsigned or malformed. */
function looksSigned(payload: Buffer): boolean {
  try {
    const parsed: unknown = JSON.parse(payload.toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? "sig" in parsed : true;
  } catch {
    // Not JSON: verifyMessage says "malformed".
    return true;
  }
}
