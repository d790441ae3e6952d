import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { publicKeyText } from "../../trust/key-file.js";

/**
 * Builders of registry bodies for tests, written from registry-sync.md independently of
 * the simulator's signer, so the two check each other.
 */

/** The signed example of the spec: snapshot v7 of demo-campus, 4 credentials, key test-2026. */
export const EXAMPLE_PATH = fileURLToPath(
  new URL("../../../../shared/spec/allowlist-example.ndjson", import.meta.url),
);
export const EXAMPLE_TEXT = readFileSync(EXAMPLE_PATH, "utf8");
export const EXAMPLE_SITE = "demo-campus";
export const EXAMPLE_KEY_ID = "test-2026";
/** RFC 8032 section 7.1 TEST 2, public key. */
export const RFC_TEST2_PUBLIC = "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw";
export const EXAMPLE_TRUST = { [EXAMPLE_KEY_ID]: RFC_TEST2_PUBLIC };

/** RFC 8032 TEST 2 private key: PKCS#8 DER is a fixed prefix followed by the 32-byte seed. */
export const RFC_TEST2_PRIVATE: KeyObject = createPrivateKey({
  key: Buffer.from(
    "302e020100300506032b657004220420" + "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    "hex",
  ),
  format: "der",
  type: "pkcs8",
});

export function freshKey(): { privateKey: KeyObject; publicKey: string } {
  const pair = generateKeyPairSync("ed25519");
  return { privateKey: pair.privateKey, publicKey: publicKeyText(pair.publicKey) };
}

export interface TestHeader {
  type?: string;
  format?: string;
  site?: string;
  kind?: string;
  from?: number | null;
  to?: number;
  issuedAt?: string;
  count?: number;
}

export function headerLine(fields: TestHeader): string {
  return JSON.stringify({
    type: "header",
    format: "pg-allowlist/1",
    site: EXAMPLE_SITE,
    kind: "snapshot",
    from: null,
    to: 8,
    issuedAt: "2026-11-25T09:00:00Z",
    count: 0,
    ...fields,
  });
}

export const putLine = (credential: object): string => JSON.stringify({ type: "put", credential });
export const delLine = (id: string): string => JSON.stringify({ type: "del", id });

/** A valid ed25519 credential as the registry sends it. */
export function registryCredential(id: string | number, fields: object = {}): object {
  return {
    id: String(id),
    person: `p-${id}`,
    roles: ["student"],
    status: "active",
    scheme: "ed25519",
    ed25519: { publicKey: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", period: 30 },
    ...fields,
  };
}

/** Put lines of credentials `from`..`to` (`registryCredential`, each with `fields`). */
export function putLines(from: number, to: number, fields: object = {}): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => putLine(registryCredential(from + i, fields)));
}

/** The trailer line for `lines` (each without its LF), signed by `key` under `keyId`. */
export function trailerLine(
  lines: readonly string[],
  key: KeyObject = RFC_TEST2_PRIVATE,
  keyId = EXAMPLE_KEY_ID,
): string {
  const digest = createHash("sha256");
  for (const line of lines) digest.update(`${line}\n`);
  const sha256 = digest.digest();
  const signature = sign(null, Buffer.concat([Buffer.from("pg-allowlist/1", "ascii"), sha256]), key);
  return JSON.stringify({
    type: "trailer",
    sha256: sha256.toString("hex"),
    keyId,
    signature: signature.toString("base64url"),
  });
}

/** A whole signed body: header (with `count` set to the records unless given), records, trailer. */
export function signedBody(
  header: TestHeader,
  records: readonly string[],
  key: KeyObject = RFC_TEST2_PRIVATE,
  keyId = EXAMPLE_KEY_ID,
): string {
  const lines = [headerLine({ count: records.length, ...header }), ...records];
  return `${[...lines, trailerLine(lines, key, keyId)].join("\n")}\n`;
}

/** Yields `text` in chunks of `size` bytes (cutting lines and UTF-8 sequences anywhere). */
export async function* chunked(text: string | Buffer, size: number): AsyncGenerator<Buffer> {
  const bytes = typeof text === "string" ? Buffer.from(text) : text;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
