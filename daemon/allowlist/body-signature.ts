import { createPublicKey, type KeyObject, verify } from "node:crypto";

/** The body format this gate reads; also the domain-separation prefix of the signed message. */
export const ALLOWLIST_FORMAT = "pg-allowlist/1";
const FORMAT_BYTES = Buffer.from(ALLOWLIST_FORMAT, "ascii");

/**
 * What the registry signs: the body's format in ASCII (`pg-allowlist/1`, or `pg-roster/1`
 * for a roster) followed by the 32 raw bytes of the body digest.
 */
export function signedMessage(digest: Buffer, format: string = ALLOWLIST_FORMAT): Buffer {
  return Buffer.concat([format === ALLOWLIST_FORMAT ? FORMAT_BYTES : Buffer.from(format, "ascii"), digest]);
}

/**
 * Imports a registry key from the config (base64url of the 32-byte Ed25519 public key).
 * Returns undefined when it is not one, so a broken config entry refuses bodies instead
 * of throwing.
 */
export function importRegistryKey(publicKey: string): KeyObject | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(publicKey)) return undefined;
  try {
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: publicKey }, format: "jwk" });
  } catch {
    // A 32-byte string that is not a valid curve point: treated like no key at all.
    return undefined;
  }
}

/** Whether `signature` (base64url, 64 bytes) by `key` covers `digest` of a body in `format`, per registry-sync.md. */
export function verifyBodySignature(
  digest: Buffer,
  signature: string,
  key: KeyObject,
  format: string = ALLOWLIST_FORMAT,
): boolean {
  const bytes = Buffer.from(signature, "base64url");
  if (bytes.length !== 64) return false;
  return verify(null, signedMessage(digest, format), key, bytes);
}
