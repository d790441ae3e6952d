import { createHash, type KeyObject, sign } from "node:crypto";
import { ALLOWLIST_FORMAT, signedMessage } from "../../daemon/allowlist/body-signature.js";

export interface AllowlistHeader {
  readonly site: string;
  readonly kind: "snapshot" | "delta";
  readonly from: number | null;
  readonly to: number;
  /** ISO-8601 */
  readonly issuedAt: string;
  readonly count: number;
}

export type AllowlistRecord =
  | { readonly type: "put"; readonly credential: object }
  | { readonly type: "del"; readonly id: string };

/**
 * The registry side of registry-sync.md: yields an allowlist body line by line (each
 * with its LF) and signs it in the trailer, so a body of 10⁶ credentials can be written
 * to a file or served over HTTP without being held in memory.
 */
export function* signedAllowlistLines(
  header: AllowlistHeader,
  records: Iterable<AllowlistRecord>,
  key: { readonly keyId: string; readonly privateKey: KeyObject },
): Generator<string> {
  const digest = createHash("sha256");
  const emit = (line: string) => {
    digest.update(line);
    return line;
  };
  yield emit(`${JSON.stringify({ type: "header", format: ALLOWLIST_FORMAT, ...header })}\n`);
  for (const record of records) yield emit(`${JSON.stringify(record)}\n`);
  const sha256 = digest.digest();
  const signature = sign(null, signedMessage(sha256), key.privateKey);
  yield `${JSON.stringify({ type: "trailer", sha256: sha256.toString("hex"), keyId: key.keyId, signature: signature.toString("base64url") })}\n`;
}

/** The whole body as one string: for small allowlists in tests and the demo. */
export function signedAllowlist(
  header: AllowlistHeader,
  records: readonly AllowlistRecord[],
  key: { readonly keyId: string; readonly privateKey: KeyObject },
): string {
  return [...signedAllowlistLines(header, records, key)].join("");
}
