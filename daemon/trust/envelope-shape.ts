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
    const canonicalBody = canonicalJson(body) ?? canonicalize(body);
    if (canonicalBody === undefined) return undefined;
    // Number.isSafeInteger: String(at) is the number's ECMAScript form (RFC 8785 §3.2.2.3),
    // with -0 written 0 as the RFC asks.
    return `{"at":${String(at)},"body":${canonicalBody},"nonce":${JSON.stringify(nonce)},"signer":${JSON.stringify(signer)},"v":1}`;
  }
  return canonicalize({ v, signer, at, nonce, body });
}

/** A UTF-16 surrogate: a string holding one is left to `canonicalize`, which refuses a lone one. */
const SURROGATE = /[\uD800-\uDFFF]/;
/** Deeper bodies are left to `canonicalize` (no message body nests this deep). */
const MAX_DEPTH = 8;

/**
 * RFC 8785 JSON of a message body made of plain objects, arrays, strings without
 * surrogates, finite numbers, booleans and null; undefined for anything else (a surrogate,
 * an undefined or non-JSON value, a class instance), which `canonicalize` then writes or
 * refuses. For these values JSON.stringify writes strings and numbers exactly as the RFC
 * does (it follows ECMAScript's JSON.stringify), and keys sorted by `sort()` are in UTF-16
 * code-unit order as the RFC asks. Why not `canonicalize` alone: it checks each string one
 * character at a time in JavaScript, which on a bridge without V8's optimising compiler
 * costs tens of µs for a scan's text, twice per scan; a regular expression does the same
 * check natively.
 */
export function canonicalJson(value: unknown, depth = 0): string | undefined {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return SURROGATE.test(value) ? undefined : JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (depth >= MAX_DEPTH) return undefined;
      if (Array.isArray(value)) {
        const items: string[] = [];
        for (const item of value) {
          const written = canonicalJson(item, depth + 1);
          if (written === undefined) return undefined;
          items.push(written);
        }
        return `[${items.join(",")}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return undefined;
      const record = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(record).sort()) {
        if (SURROGATE.test(key)) return undefined;
        const written = canonicalJson(record[key], depth + 1);
        if (written === undefined) return undefined;
        parts.push(`${JSON.stringify(key)}:${written}`);
      }
      return `{${parts.join(",")}}`;
    }
    default:
      return undefined;
  }
}
