import canonicalize from "canonicalize";

/**
 * The envelope's shape checked and its signing bytes written by hand, on the path of every
 * signed message (a bridged scan and its answer, each site record, each operator command).
 *
 * Why not the zod schema (`signedMessageSchema`, which stays the envelope's definition and
 * the oracle these are tested against, envelope-shape.test.ts): inside a running gate and on
 * a bridge started without V8's optimising compiler, its parse measured 60–130 µs a message
 * at the median, more than the Ed25519 verify it guards, against a few µs here. Why not
 * `canonicalize` for the whole envelope: its five top-level fields are fixed and of known
 * types, so only the body needs the general RFC 8785 writer.
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

/** A plain JSON object: what JSON.parse makes of `{…}` (not an array, not null). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

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
  if (!isPlainObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== FIELDS.length) return undefined;
  for (const key of keys) if (!(FIELDS as readonly string[]).includes(key)) return undefined;
  const { v, signer, at, nonce, body, sig } = value;
  if (v !== 1) return undefined;
  if (typeof signer !== "string" || !MEMBER_ID.test(signer)) return undefined;
  if (typeof at !== "number" || !Number.isSafeInteger(at) || at < 0) return undefined;
  if (!isCanonicalNonce(nonce)) return undefined;
  if (!isPlainObject(body)) return undefined;
  if (typeof sig !== "string" || sig.length !== 86 || !BASE64URL.test(sig)) return undefined;
  return { v, signer, at, nonce, body, sig };
}

/** Printable ASCII: JSON.stringify writes it exactly as RFC 8785 does. */
const PLAIN_TEXT = /^[\x20-\x7e]*$/;

/**
 * The RFC 8785 canonical JSON of `{v, signer, at, nonce, body}`: the keys in their sorted
 * order, written directly when the fixed fields are of the types a valid envelope has, else
 * (a caller's odd values) by `canonicalize` whole, so the bytes are the same either way.
 */
export function canonicalEnvelope(fields: {
  readonly v: number;
  readonly signer: string;
  readonly at: number;
  readonly nonce: string;
  readonly body: Record<string, unknown>;
}): string | undefined {
  const { v, signer, at, nonce, body } = fields;
  if (
    v === 1 &&
    Number.isSafeInteger(at) &&
    typeof signer === "string" &&
    typeof nonce === "string" &&
    PLAIN_TEXT.test(signer) &&
    PLAIN_TEXT.test(nonce)
  ) {
    const canonicalBody = canonicalize(body);
    if (canonicalBody === undefined) return undefined;
    // Number.isSafeInteger: String(at) is the number's ECMAScript form (RFC 8785 §3.2.2.3),
    // with -0 written 0 as the RFC asks.
    return `{"at":${String(at)},"body":${canonicalBody},"nonce":${JSON.stringify(nonce)},"signer":${JSON.stringify(signer)},"v":1}`;
  }
  return canonicalize({ v, signer, at, nonce, body });
}
