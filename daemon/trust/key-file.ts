import { createHash, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { readFileSync, statSync } from "node:fs";

/** A key file that cannot be used, with what to do about it. */
export class KeyFileError extends Error {
  readonly code = "KEY_FILE";
}

/**
 * Reads a member's Ed25519 private key (PEM, PKCS#8). Refuses, like ssh, a file that others
 * than its owner may read: a key that leaked to another account of the machine is no
 * longer this member's alone. The key text is never part of an error message.
 */
export function readKeyFile(file: string): KeyObject {
  let text: Buffer;
  try {
    const mode = statSync(file).mode;
    if (process.platform !== "win32" && (mode & 0o077) !== 0) {
      throw new KeyFileError(
        `key file ${file} may be read by others (mode ${(mode & 0o777).toString(8)}): chmod 600 ${file}`,
      );
    }
    text = readFileSync(file);
  } catch (err) {
    if (err instanceof KeyFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new KeyFileError(`cannot read key file ${file} (${code}): make one with passgate keys init`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch {
    throw new KeyFileError(`key file ${file} holds no PEM private key`);
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw new KeyFileError(`key file ${file} holds a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

/** An Ed25519 public key in DER (SubjectPublicKeyInfo): this fixed prefix, then the 32 raw bytes. */
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/**
 * The public half of an Ed25519 key (private or public), as the roster and the allowlist
 * write it: base64url of the 32 raw bytes. Taken from the DER encoding, not from a JWK
 * export: in Node 20 `export({ format: "jwk" })` of a key fresh from generateKeyPairSync
 * can deadlock the thread for good, when a garbage collection during the export finalises
 * the key's generation job, which takes the lock the export holds (seen as a hung test
 * about one run in five; a loop of such exports hangs within seconds).
 */
export function publicKeyText(key: KeyObject): string {
  const der = (key.type === "private" ? createPublicKey(key) : key).export({ format: "der", type: "spki" });
  if (
    der.length !== ED25519_SPKI_PREFIX.length + 32 ||
    !der.subarray(0, ED25519_SPKI_PREFIX.length).equals(ED25519_SPKI_PREFIX)
  )
    throw new KeyFileError("not an Ed25519 key");
  return der.subarray(ED25519_SPKI_PREFIX.length).toString("base64url");
}

/**
 * A short fingerprint of a public key for people to compare over the phone or on a
 * screen: the first 16 bytes of SHA-256 of the raw key, hex in groups of four.
 */
export function keyFingerprint(publicKey: string): string {
  const hex = createHash("sha256").update(Buffer.from(publicKey, "base64url")).digest("hex").slice(0, 32);
  return hex.match(/.{4}/g)?.join(":") ?? hex;
}
