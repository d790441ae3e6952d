import { createPublicKey, type KeyObject, verify as verifySignature } from "node:crypto";
import { ScureBase32Plugin } from "@otplib/plugin-base32-scure";
import { periodOf, type VerifiableCredential } from "../allowlist/credential.js";
import { hotpMatches } from "./hotp.js";
import { KeyCache } from "./key-cache.js";
import type { ParsedToken } from "./pg1-token.js";

/**
 * Why a token failed verification, steps 1–5 of pass-token.md, in that order.
 * (`replayed`, step 6, needs site state and is the replay guard's.)
 */
export const VERIFICATION_FAILURES = [
  "malformed",
  "unknown_credential",
  "scheme_mismatch",
  "expired",
  "not_yet_valid",
  "bad_signature",
] as const;
export type VerificationFailure = (typeof VERIFICATION_FAILURES)[number];

export type VerificationResult =
  | { readonly ok: true; readonly step: number; readonly period: number }
  | { readonly ok: false; readonly reason: VerificationFailure };

const ALGORITHMS = { SHA1: "sha1", SHA256: "sha256", SHA512: "sha512" } as const;

/**
 * Verifies a parsed PG1 token against the credential it names, at `nowMs`: steps 2–5
 * of pass-token.md. A pure function of its inputs except for the key cache, which only
 * saves work. Never throws for bad input: a key that cannot be imported is a
 * `bad_signature`, so a broken allowlist entry denies instead of crashing.
 */
export class TokenVerifier {
  private readonly ed25519Keys: KeyCache<KeyObject | null>;
  private readonly totpSecrets: KeyCache<Uint8Array | null>;
  private readonly base32 = new ScureBase32Plugin();

  /** `window`: time steps accepted either side of now (pass-token.md default 1). */
  constructor(
    private readonly window: number,
    cacheCapacity?: number,
  ) {
    this.ed25519Keys = new KeyCache(cacheCapacity);
    this.totpSecrets = new KeyCache(cacheCapacity);
  }

  verify(
    token: ParsedToken,
    credential: VerifiableCredential | undefined,
    nowMs: number,
  ): VerificationResult {
    if (credential === undefined || credential.id !== token.credentialId) {
      return { ok: false, reason: "unknown_credential" };
    }
    if (credential.scheme !== token.scheme) return { ok: false, reason: "scheme_mismatch" };
    const period = periodOf(credential);
    const nowStep = Math.floor(nowMs / (period * 1000));
    if (token.step < nowStep - this.window) return { ok: false, reason: "expired" };
    if (token.step > nowStep + this.window) return { ok: false, reason: "not_yet_valid" };
    const valid =
      token.scheme === "totp" && credential.scheme === "totp"
        ? this.totpMatches(credential, token.step, token.value)
        : token.scheme === "ed25519" && credential.scheme === "ed25519"
          ? this.signatureVerifies(credential, token.signedMessage, token.signature)
          : false;
    return valid ? { ok: true, step: token.step, period } : { ok: false, reason: "bad_signature" };
  }

  private totpMatches(
    credential: Extract<VerifiableCredential, { scheme: "totp" }>,
    step: number,
    value: number,
  ): boolean {
    const { secret, algorithm, digits } = credential.totp;
    if (value >= 10 ** digits) return false;
    const secretBytes = this.totpSecrets.get(credential.id, secret, (s) => {
      try {
        return this.base32.decode(s.replace(/=+$/, "").toUpperCase());
      } catch {
        return null;
      }
    });
    if (secretBytes === null) return false;
    // Compares in constant time; a secret outside RFC 4226's bounds (e.g. shorter than 16 bytes) never verifies.
    return hotpMatches(secretBytes, step, value, digits, ALGORITHMS[algorithm]);
  }

  private signatureVerifies(
    credential: Extract<VerifiableCredential, { scheme: "ed25519" }>,
    message: Uint8Array,
    signature: Uint8Array,
  ): boolean {
    const key = this.ed25519Keys.get(credential.id, credential.ed25519.publicKey, importEd25519PublicKey);
    if (key === null) return false;
    try {
      return verifySignature(null, message, key, signature);
    } catch {
      return false;
    }
  }
}

/** Imports a base64url 32-byte Ed25519 public key, or `null` when it is not one. */
export function importEd25519PublicKey(base64url: string): KeyObject | null {
  try {
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: base64url }, format: "jwk" });
  } catch {
    return null;
  }
}
