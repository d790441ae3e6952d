import { decodeBase45 } from "./base45.js";

/** Longest scan text looked at (pass-token.md): longer text is malformed before decoding. */
export const MAX_TOKEN_CHARS = 512;

export const TOKEN_PREFIX = "PG1:";
export const SCHEME_TOTP = 0x01;
export const SCHEME_ED25519 = 0x02;
const TOTP_PAYLOAD_BYTES = 17;
const ED25519_PAYLOAD_BYTES = 77;
/** Bytes 0..12 of the payload: scheme, credential id and step; what an Ed25519 signature covers. */
const SIGNED_HEAD_BYTES = 13;

/** A PG1 token whose form is valid; nothing about it is verified yet. */
export type ParsedToken =
  | {
      readonly scheme: "totp";
      /** Canonical decimal credential id. */
      readonly credentialId: string;
      /** Time step T = floor(unix_seconds / period). */
      readonly step: number;
      /** The TOTP value as carried (an unsigned 32-bit integer). */
      readonly value: number;
    }
  | {
      readonly scheme: "ed25519";
      readonly credentialId: string;
      readonly step: number;
      /** `PG1` followed by payload bytes 0..12: the message the phone signed. */
      readonly signedMessage: Uint8Array;
      readonly signature: Uint8Array;
    };

const PG1_ASCII = new Uint8Array([0x50, 0x47, 0x31]);

/**
 * Parses scan text as a PG1 token (step 1 of pass-token.md's verification), or returns
 * `null` when it is malformed. The text must be exactly the scan: readers strip only
 * their terminator, so leading or trailing spaces are part of the base45 text.
 */
export function parseToken(text: string): ParsedToken | null {
  if (text.length > MAX_TOKEN_CHARS || !text.startsWith(TOKEN_PREFIX)) return null;
  const payload = decodeBase45(text.slice(TOKEN_PREFIX.length));
  if (payload === null) return null;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const scheme = payload[0];
  if (scheme === SCHEME_TOTP && payload.length === TOTP_PAYLOAD_BYTES) {
    return {
      scheme: "totp",
      credentialId: view.getBigUint64(1).toString(),
      step: view.getUint32(9),
      value: view.getUint32(13),
    };
  }
  if (scheme === SCHEME_ED25519 && payload.length === ED25519_PAYLOAD_BYTES) {
    const signedMessage = new Uint8Array(PG1_ASCII.length + SIGNED_HEAD_BYTES);
    signedMessage.set(PG1_ASCII, 0);
    signedMessage.set(payload.subarray(0, SIGNED_HEAD_BYTES), PG1_ASCII.length);
    return {
      scheme: "ed25519",
      credentialId: view.getBigUint64(1).toString(),
      step: view.getUint32(9),
      signedMessage,
      signature: payload.subarray(SIGNED_HEAD_BYTES),
    };
  }
  return null;
}
