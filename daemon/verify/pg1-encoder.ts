import { type KeyObject, sign } from "node:crypto";
import { generateSync as generateHotp } from "@otplib/hotp";
import { ScureBase32Plugin } from "@otplib/plugin-base32-scure";
import { NodeCryptoPlugin } from "@otplib/plugin-crypto-node";
import { encodeBase45 } from "./base45.js";
import { SCHEME_ED25519, SCHEME_TOTP, TOKEN_PREFIX } from "./pg1-token.js";

/**
 * What the university's mobile app does: builds the PG1 text for a credential at a time
 * step, exactly as pass-token.md says. Used by the simulator's phones, the demo and tests.
 */

const hmac = new NodeCryptoPlugin();
const base32 = new ScureBase32Plugin();

function head(scheme: number, credentialId: string | bigint, step: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes[0] = scheme;
  view.setBigUint64(1, BigInt(credentialId));
  view.setUint32(9, step);
  return bytes;
}

export interface TotpSecret {
  readonly secret: string;
  readonly algorithm: "SHA1" | "SHA256" | "SHA512";
  readonly digits: 6 | 8;
}

/** The TOTP value of a secret at a step (RFC 6238 with T = step). */
export function totpValue(totp: TotpSecret, step: number): number {
  const code = generateHotp({
    secret: base32.decode(totp.secret.replace(/=+$/, "").toUpperCase()),
    counter: step,
    algorithm: totp.algorithm.toLowerCase() as "sha1" | "sha256" | "sha512",
    digits: totp.digits,
    crypto: hmac,
  });
  return Number(code);
}

/** A scheme 0x01 token carrying `value` (the right TOTP value unless a test wants another). */
export function encodeTotpToken(credentialId: string | bigint, step: number, value: number): string {
  const payload = head(SCHEME_TOTP, credentialId, step, 17);
  new DataView(payload.buffer).setUint32(13, value);
  return TOKEN_PREFIX + encodeBase45(payload);
}

/** A scheme 0x02 token signed with the phone's Ed25519 private key. */
export function encodeEd25519Token(
  credentialId: string | bigint,
  step: number,
  privateKey: KeyObject,
): string {
  const payload = head(SCHEME_ED25519, credentialId, step, 77);
  const message = new Uint8Array(16);
  message.set([0x50, 0x47, 0x31], 0);
  message.set(payload.subarray(0, 13), 3);
  payload.set(sign(null, message, privateKey), 13);
  return TOKEN_PREFIX + encodeBase45(payload);
}
