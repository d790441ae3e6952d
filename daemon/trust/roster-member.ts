import { createPublicKey, type KeyObject } from "node:crypto";
import { z } from "zod";
import { memberIdSchema } from "../../config/trust-schema.js";

/** What a member may speak for (site-roster.md). */
export const MEMBER_KINDS = ["gate", "bridge", "operator"] as const;
export type MemberKind = (typeof MEMBER_KINDS)[number];

/** An operator's roles: a guard may open once and look; an admin may also change modes. */
export const OPERATOR_ROLES = ["guard", "admin"] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export { memberIdSchema };

/** A gate or reader id as the config names it. */
const localId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, "letters, digits, dot, dash or underscore");

/** base64url of a 32-byte Ed25519 public key. */
export const publicKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, "base64url of a 32-byte Ed25519 public key")
  .refine((k) => importMemberKey(k) !== undefined, "an Ed25519 public key");

/**
 * One member of a site's roster, as the registry serves it (`{"type":"member","member":…}`)
 * or a local `passgate trust add` writes it. Fields that do not apply to a member's kind
 * are refused rather than ignored: a roster that says more than it means is a mistake.
 */
export const rosterMemberSchema = z
  .strictObject({
    id: memberIdSchema,
    kind: z.enum(MEMBER_KINDS),
    publicKey: publicKeySchema,
    /** bridge: the gate it feeds; gate: its own id. */
    gate: localId.optional(),
    /** bridge: the readers it may deliver scans for. */
    readers: z.array(localId).min(1).max(16).optional(),
    /** operator: guard and/or admin. */
    roles: z.array(z.enum(OPERATOR_ROLES)).min(1).max(2).optional(),
    /** operator: the gates it may act on; absent = every gate of the site. */
    gates: z.array(localId).min(1).max(256).optional(),
    status: z.enum(["active", "revoked"]),
    displayName: z.string().max(200).optional(),
  })
  .superRefine((m, ctx) => {
    const need = (field: keyof typeof m, present: boolean) => {
      if ((m[field] !== undefined) !== present)
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: present ? `a ${m.kind} member needs ${field}` : `a ${m.kind} member has no ${field}`,
        });
    };
    need("gate", m.kind !== "operator");
    need("readers", m.kind === "bridge");
    need("roles", m.kind === "operator");
    if (m.kind !== "operator") need("gates", false);
  });

export type RosterMember = z.infer<typeof rosterMemberSchema>;

/**
 * The member's public key as node:crypto takes it; undefined when node:crypto refuses the
 * text, so a broken entry refuses messages instead of throwing. (Bytes that are no point on
 * the curve import, and then verify nothing.)
 */
export function importMemberKey(publicKey: string): KeyObject | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(publicKey)) return undefined;
  try {
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: publicKey }, format: "jwk" });
  } catch {
    return undefined;
  }
}
