import { createHash, type KeyObject, sign } from "node:crypto";
import { signedMessage } from "../../daemon/allowlist/body-signature.js";
import { ROSTER_FORMAT } from "../../daemon/trust/roster-body.js";

/**
 * The registry side of site-roster.md: a whole roster snapshot, framed and signed as an
 * allowlist snapshot is, with the format `pg-roster/1` in its header and signature.
 */
export function signedRoster(
  roster: {
    readonly site: string;
    readonly version: number;
    /** ISO-8601 */
    readonly issuedAt: string;
    readonly members: readonly object[];
  },
  key: { readonly keyId: string; readonly privateKey: KeyObject },
): string {
  const lines = [
    `${JSON.stringify({
      type: "header",
      format: ROSTER_FORMAT,
      site: roster.site,
      kind: "snapshot",
      from: null,
      to: roster.version,
      issuedAt: roster.issuedAt,
      count: roster.members.length,
    })}\n`,
    ...roster.members.map((member) => `${JSON.stringify({ type: "member", member })}\n`),
  ];
  const sha256 = createHash("sha256").update(lines.join("")).digest();
  const signature = sign(null, signedMessage(sha256, ROSTER_FORMAT), key.privateKey);
  lines.push(
    `${JSON.stringify({ type: "trailer", sha256: sha256.toString("hex"), keyId: key.keyId, signature: signature.toString("base64url") })}\n`,
  );
  return lines.join("");
}
