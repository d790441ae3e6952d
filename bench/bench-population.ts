import { createHash, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { ScureBase32Plugin } from "@otplib/plugin-base32-scure";
import { publicKeyText } from "../daemon/trust/key-file.js";
import type { AllowlistRecord } from "../sim/registry/signed-allowlist.js";

/**
 * A deterministic population for benchmarks: the same keys and secrets on every run, so
 * the 10⁶-credential store can be built once and cached. Even ids use TOTP, odd ids
 * Ed25519 (all phones share one key pair; each credential still gets its own key cache entry).
 */

const base32 = new ScureBase32Plugin();
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function seededKey(label: string): { privateKey: KeyObject; publicKey: string } {
  const seed = createHash("sha256").update(label).digest();
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  return { privateKey, publicKey: publicKeyText(createPublicKey(privateKey)) };
}

export const benchRegistryKey = seededKey("passgate-bench-registry");
export const benchPhoneKey = seededKey("passgate-bench-phone");
export const BENCH_REGISTRY_KEY_ID = "bench-2026";

export function benchTotpSecret(id: number): string {
  return base32.encode(createHash("sha1").update(`passgate-bench-totp-${id}`).digest());
}

export function benchScheme(id: number): "totp" | "ed25519" {
  return id % 2 === 0 ? "totp" : "ed25519";
}

/** Credentials 1..count, as registry `put` records. */
export function* benchRecords(count: number): Generator<AllowlistRecord> {
  for (let id = 1; id <= count; id++) {
    const common = {
      id: String(id),
      person: `p-${id}`,
      roles: id % 10 === 0 ? ["staff"] : ["student"],
      status: "active",
      assurance: "confirmed",
    };
    const credential =
      benchScheme(id) === "totp"
        ? {
            ...common,
            scheme: "totp",
            totp: { secret: benchTotpSecret(id), algorithm: "SHA1", digits: 8, period: 30 },
          }
        : { ...common, scheme: "ed25519", ed25519: { publicKey: benchPhoneKey.publicKey, period: 30 } };
    yield { type: "put", credential };
  }
}
