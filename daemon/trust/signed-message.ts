import { type KeyObject, randomFillSync, sign, verify } from "node:crypto";
import { z } from "zod";
import { canonicalEnvelope, isCanonicalNonce, readEnvelope } from "./envelope-shape.js";
import type { NonceWindow } from "./nonce-window.js";
import type { KnownMember, Roster } from "./roster.js";
import { type MemberKind, memberIdSchema, type RosterMember } from "./roster-member.js";

/** Domain separation of a member's signature (site-roster.md). */
export const MESSAGE_DOMAIN = "pg-msg/1";

/** Default freshness bound of a signed message: ±30 s of the receiver's clock. */
export const DEFAULT_FRESHNESS_MS = 30_000;

/** Largest signed message a receiver reads; the envelope of a scan or a request is far smaller. */
export const MAX_MESSAGE_BYTES = 4_096;

const base64url = /^[A-Za-z0-9_-]+$/;

/** 12–24 random bytes, base64url without padding, in its one canonical spelling. */
const nonceSchema = z.string().refine(isCanonicalNonce, "12 to 24 bytes, base64url");

/**
 * The envelope of every message a member signs. Unknown fields are refused: they would not
 * be signed. Receivers check it with `readEnvelope` (envelope-shape.ts: the same answers,
 * tested against this schema, at a small part of its cost).
 */
export const signedMessageSchema = z.strictObject({
  v: z.literal(1),
  signer: memberIdSchema,
  at: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  nonce: nonceSchema,
  body: z.record(z.string(), z.unknown()),
  sig: z.string().length(86).regex(base64url, "base64url"),
});

export type SignedMessage = z.infer<typeof signedMessageSchema>;

/** Why a message was not acted on; counted and logged by reason. */
export type MessageRefusal =
  | "too_large"
  | "malformed"
  | "unknown_signer"
  | "revoked_signer"
  | "wrong_kind"
  | "bad_signature"
  | "stale"
  | "future"
  | "repeated_nonce"
  | "nonce_window_full";

/**
 * The bytes a member signs for a message on `topic`: `pg-msg/1`, the topic, and the RFC 8785
 * canonical JSON of everything but the signature, joined by newlines. The topic is bound so
 * a message cannot be moved to another gate or purpose.
 */
export function signingInput(topic: string, message: Omit<SignedMessage, "sig">): Buffer {
  const canonical = canonicalEnvelope(message);
  if (canonical === undefined) throw new TypeError("message body cannot be written as JSON");
  return Buffer.from(`${MESSAGE_DOMAIN}\n${topic}\n${canonical}`, "utf8");
}

/**
 * Signs `body` as member `signer` for publication on `topic`. `at` is the signer's clock
 * (epoch ms); the nonce is 16 random bytes unless given.
 */
export function signMessage(options: {
  readonly topic: string;
  readonly signer: string;
  readonly privateKey: KeyObject;
  readonly body: Record<string, unknown>;
  readonly at: number;
  readonly nonce?: string;
}): SignedMessage {
  const unsigned = {
    v: 1 as const,
    signer: options.signer,
    at: options.at,
    nonce: options.nonce ?? freshNonce(),
    body: options.body,
  };
  const sig = sign(null, signingInput(options.topic, unsigned), options.privateKey).toString("base64url");
  return { ...unsigned, sig };
}

/**
 * 16 random bytes from a pool filled from the CSPRNG 256 nonces at a time, as node does for
 * `randomUUID`: a `randomBytes(16)` per message measured 7–8 µs in a loop and 30–40 µs inside
 * a bridge (twice a scan's round trip, on its decision path), the pooled one under 1 µs.
 * Nonces are public once sent; each pool byte is used once.
 */
const noncePool = Buffer.alloc(4096);
let noncePoolAt = noncePool.length;
function freshNonce(): string {
  if (noncePoolAt + 16 > noncePool.length) {
    randomFillSync(noncePool);
    noncePoolAt = 0;
  }
  const nonce = noncePool.toString("base64url", noncePoolAt, noncePoolAt + 16);
  noncePoolAt += 16;
  return nonce;
}

/** What a receiver checks a message against. */
export interface MessageCheck {
  /** The site's members. */
  readonly roster: Roster;
  /** Member kinds that may publish on this topic. */
  readonly kinds: readonly MemberKind[];
  /** The receiver's clock, epoch ms. */
  readonly now: number;
  /** ± this many ms around `now` is fresh; default 30 s. */
  readonly freshnessMs?: number;
  /** The `(signer, nonce)` pairs seen within the bound. */
  readonly nonces: NonceWindow;
}

export type MessageVerdict =
  | {
      readonly ok: true;
      readonly signer: RosterMember;
      readonly at: number;
      readonly body: Record<string, unknown>;
    }
  | { readonly ok: false; readonly reason: MessageRefusal; readonly signer?: string };

/**
 * Checks a message received on `topic` (site-roster.md): its size and envelope, an active
 * signer of a kind allowed on the topic, the signature, freshness and a nonce not seen
 * within the bound. Authorisation that depends on the body (a bridge's readers, an
 * operator's roles and gates) and the body's own bounds are the topic's to check next.
 * The nonce is remembered only once the signature holds, so a forger cannot burn the
 * nonce of a message still on its way.
 */
export function verifyMessage(topic: string, payload: Buffer | string, check: MessageCheck): MessageVerdict {
  const size = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_MESSAGE_BYTES) return { ok: false, reason: "too_large" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString());
  } catch {
    return { ok: false, reason: "malformed" };
  }
  return verifyEnvelope(topic, parsed, check);
}

/** `verifyMessage` for a payload already parsed as JSON (bounded in size by the receiver). */
export function verifyEnvelope(topic: string, parsed: unknown, check: MessageCheck): MessageVerdict {
  const pending = checkEnvelope(topic, parsed, check);
  if (!pending.ok) return pending;
  const { message, known, signed, signature } = pending;
  if (!verify(null, signed, known.key, signature))
    return { ok: false, reason: "bad_signature", signer: message.signer };
  return admitVerified(pending, check);
}

/**
 * A message that passed every check but its signature: what a verifier needs (the signed
 * bytes, the signature, the signer's key) and what `admitVerified` takes once it holds.
 */
export interface EnvelopeToVerify {
  readonly ok: true;
  readonly message: SignedMessage;
  readonly known: KnownMember & { readonly key: KeyObject };
  /** The bytes the signer signed (`signingInput`). */
  readonly signed: Buffer;
  /** The 64-byte signature. */
  readonly signature: Buffer;
}

/**
 * The checks of `verifyEnvelope` that come before the signature, in its order: the
 * envelope, an active signer of an allowed kind with a usable key, freshness, a signature
 * of the right length. Nothing is remembered: the nonce waits for the signature.
 */
export function checkEnvelope(
  topic: string,
  parsed: unknown,
  check: Omit<MessageCheck, "nonces">,
): EnvelopeToVerify | (MessageVerdict & { readonly ok: false }) {
  const message = readEnvelope(parsed);
  if (message === undefined) return { ok: false, reason: "malformed" };
  const known = check.roster.get(message.signer);
  const signer = message.signer;
  if (known === undefined || known.key === undefined) return { ok: false, reason: "unknown_signer", signer };
  if (known.member.status !== "active") return { ok: false, reason: "revoked_signer", signer };
  if (!check.kinds.includes(known.member.kind)) return { ok: false, reason: "wrong_kind", signer };
  const bound = check.freshnessMs ?? DEFAULT_FRESHNESS_MS;
  if (message.at < check.now - bound) return { ok: false, reason: "stale", signer };
  if (message.at > check.now + bound) return { ok: false, reason: "future", signer };
  const signature = Buffer.from(message.sig, "base64url");
  if (signature.length !== 64) return { ok: false, reason: "bad_signature", signer };
  let signed: Buffer;
  try {
    signed = signingInput(topic, message);
  } catch {
    // RFC 8785 has no form for a lone surrogate ("\ud800" in a body): nothing could have signed it.
    return { ok: false, reason: "malformed", signer };
  }
  return { ok: true, message, known: { member: known.member, key: known.key }, signed, signature };
}

/**
 * The last check of a message whose signature held: its `(signer, nonce)` pair, remembered
 * now and only now, so a forged copy cannot use up the nonce of the real message.
 */
export function admitVerified(
  pending: EnvelopeToVerify,
  check: Pick<MessageCheck, "now" | "nonces">,
): MessageVerdict {
  const { message, known } = pending;
  const signer = message.signer;
  const nonce = check.nonces.admit(signer, message.nonce, message.at, check.now);
  if (nonce === "repeated") return { ok: false, reason: "repeated_nonce", signer };
  if (nonce === "full") return { ok: false, reason: "nonce_window_full", signer };
  return { ok: true, signer: known.member, at: message.at, body: message.body };
}
