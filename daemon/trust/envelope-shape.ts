import canonicalize from "canonicalize";
import { canonicalJson, NotCanonicalJsonError } from "../../platform/json/canonical-json.js";
import { hasExactlyFields, isPlainObject } from "../../platform/json/plain-object.js";

/**
 * The envelope's shape checked by hand, and its signing bytes written by the project's
 * canonical JSON writer, on the path of every signed message (a bridged scan and its
 * answer, each site record, each operator command).
 *
 * Why not the zod schema (`signedMessageSchema`, which stays the envelope's definition and
 * the oracle these are tested against, envelope-shape.test.ts): inside a running gate and on
 * a bridge started without V8's optimising compiler, its parse measured 60–130 µs a message
 * at the median, more than the Ed25519 verify it guards, against a few µs here.
 */

/** The envelope as received, once its shape holds (site-roster.md). */
export interface EnvelopeFields {
  readonly v: 1;
  readonly signer: string;
  readonly at: number;
  readonly nonce: string;
  readonly body: Record<string, unknown>;
  readonly sig: string;
}

const FIELDS = ["v", "signer", "at", "nonce", "body", "sig"] as const;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** A member id: 1–64 printable ASCII characters without spaces (config/trust-schema.ts). */
const MEMBER_ID = /^[\x21-\x7e]{1,64}$/;

/** 12–24 random bytes, base64url without padding, in its one canonical spelling. */
export function isCanonicalNonce(nonce: unknown): nonce is string {
  if (typeof nonce !== "string" || nonce.length < 16 || nonce.length > 32 || !BASE64URL.test(nonce))
    return false;
  const bytes = Buffer.from(nonce, "base64url");
  return bytes.length >= 12 && bytes.length <= 24 && bytes.toString("base64url") === nonce;
}

/**
 * `value` as an envelope when it has exactly the envelope's fields with the schema's types
 * and bounds (the same answers as `signedMessageSchema.safeParse(value).success`), else
 * undefined. Unknown fields are refused: they would not be signed.
 */
export function readEnvelope(value: unknown): EnvelopeFields | undefined {
  if (!hasExactlyFields(value, FIELDS)) return undefined;
  const { v, signer, at, nonce, body, sig } = value;
  if (v !== 1) return undefined;
  if (typeof signer !== "string" || !MEMBER_ID.test(signer)) return undefined;
  if (typeof at !== "number" || !Number.isSafeInteger(at) || at < 0) return undefined;
  if (!isCanonicalNonce(nonce)) return undefined;
  if (!isPlainObject(body)) return undefined;
  if (typeof sig !== "string" || sig.length !== 86 || !BASE64URL.test(sig)) return undefined;
  return { v, signer, at, nonce, body, sig };
}

/**
 * The RFC 8785 canonical JSON of `{v, signer, at, nonce, body}`, by the project's canonical
 * writer (platform/json/canonical-json.ts) for plain JSON values, else (a value JSON has no
 * plain form for, or a lone surrogate) by `canonicalize`, which writes or refuses the rest,
 * so the bytes are the same either way.
 */
export function canonicalEnvelope(fields: {
  readonly v: number;
  readonly signer: string;
  readonly at: number;
  readonly nonce: string;
  readonly body: Record<string, unknown>;
}): string | undefined {
  const { v, signer, at, nonce, body } = fields;
  const envelope = { v, signer, at, nonce, body };
  try {
    return canonicalJson(envelope, { path: "message", maxDepth: MAX_BODY_DEPTH, wellFormed: true });
  } catch (err) {
    if (!(err instanceof NotCanonicalJsonError)) throw err;
    return canonicalize(envelope);
  }
}

/** Deeper bodies are left to `canonicalize` (no message body nests this deep). */
const MAX_BODY_DEPTH = 8;
