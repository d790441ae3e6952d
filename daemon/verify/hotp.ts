import { createHmac, timingSafeEqual } from "node:crypto";

/** RFC 4226 §4 R6 asks for at least 128 bits; otplib's guardrails, which passgate kept, stop at 64 bytes. */
const MIN_SECRET_BYTES = 16;
const MAX_SECRET_BYTES = 64;

/**
 * Whether `value` is the HOTP (RFC 4226) of `secret` at `counter` with `digits` digits and
 * HMAC-`algorithm`; TOTP (RFC 6238) is HOTP of the time step. Never throws: a secret out of
 * bounds or a counter that is not a non-negative safe integer is never valid.
 *
 * Written out rather than otplib's `verifySync`, which the encoder in tests still uses (so
 * the two check each other): on the decision path otplib costs about three bare HMACs per
 * call (algorithm names normalised, guardrail objects and the token string rebuilt and
 * checked each time), about a tenth of a TOTP decision. The same bounds as otplib's
 * defaults; the comparison of the codes takes the same time whatever they hold.
 */
export function hotpMatches(
  secret: Uint8Array,
  counter: number,
  value: number,
  digits: number,
  algorithm: "sha1" | "sha256" | "sha512",
): boolean {
  if (secret.length < MIN_SECRET_BYTES || secret.length > MAX_SECRET_BYTES) return false;
  if (!Number.isSafeInteger(counter) || counter < 0) return false;
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(message).digest();
  // Dynamic truncation, RFC 4226 §5.3.
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  const expected = Buffer.alloc(4);
  expected.writeUInt32BE(binary % 10 ** digits);
  const presented = Buffer.alloc(4);
  presented.writeUInt32BE(Number.isSafeInteger(value) && value >= 0 && value < 2 ** 32 ? value : 2 ** 32 - 1);
  return timingSafeEqual(expected, presented);
}
