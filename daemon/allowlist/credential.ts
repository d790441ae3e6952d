import { z } from "zod";
import { ASSURANCE_LEVELS, type AssuranceLevel } from "../../config/assurance.js";

export { ASSURANCE_LEVELS, type AssuranceLevel };

/** Largest credential id: ids are unsigned 64-bit integers. */
const U64_MAX = 18446744073709551615n;

/** A credential id in canonical form: a decimal string with no sign and no leading zeros. */
export const credentialIdSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,19})$/, "a decimal string of an unsigned 64-bit integer")
  .refine((s) => BigInt(s) <= U64_MAX, "an unsigned 64-bit integer (at most 18446744073709551615)");

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/, "base64url text");
const isoDate = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

export const totpParamsSchema = z.object({
  secret: z.string().regex(/^[A-Z2-7]+=*$/i, "a base32 secret"),
  algorithm: z.enum(["SHA1", "SHA256", "SHA512"]).default("SHA1"),
  digits: z.union([z.literal(6), z.literal(8)]).default(8),
  period: z.number().int().min(1).max(3600).default(30),
});

export const ed25519ParamsSchema = z.object({
  publicKey: base64url.refine((s) => Buffer.from(s, "base64url").length === 32, "32 bytes of public key"),
  period: z.number().int().min(1).max(3600).default(30),
});

/** What verification of a token needs to know about a credential: the pass-token spec's view. */
export const verifiableCredentialSchema = z.discriminatedUnion("scheme", [
  z.object({ id: credentialIdSchema, scheme: z.literal("totp"), totp: totpParamsSchema }),
  z.object({ id: credentialIdSchema, scheme: z.literal("ed25519"), ed25519: ed25519ParamsSchema }),
]);
export type VerifiableCredential = z.infer<typeof verifiableCredentialSchema>;
export type TotpParams = z.infer<typeof totpParamsSchema>;
export type Ed25519Params = z.infer<typeof ed25519ParamsSchema>;

export const CREDENTIAL_STATUSES = ["active", "suspended", "revoked"] as const;
export type CredentialStatus = (typeof CREDENTIAL_STATUSES)[number];

const identityFields = {
  person: z.string().min(1).max(200),
  displayName: z.string().max(200).optional(),
  roles: z.array(z.string().min(1).max(64)).max(32),
  status: z.enum(CREDENTIAL_STATUSES),
  assurance: z.enum(ASSURANCE_LEVELS).optional(),
  /** Epoch milliseconds. */
  validFrom: isoDate.optional(),
  /** Epoch milliseconds. */
  validUntil: isoDate.optional(),
  zones: z.array(z.string().min(1).max(64)).max(64).default([]),
  guardians: z.array(z.string().min(1).max(200)).max(16).default([]),
  notifyGuardians: z.boolean().default(false),
};

/**
 * A credential as the registry sends it (registry-sync.md), parsed into the gate's form:
 * dates become epoch milliseconds, optional lists become empty lists. Unknown fields are
 * dropped, as the spec asks, so the registry can add some.
 */
export const credentialSchema = z.discriminatedUnion("scheme", [
  z.object({ id: credentialIdSchema, ...identityFields, scheme: z.literal("totp"), totp: totpParamsSchema }),
  z.object({
    id: credentialIdSchema,
    ...identityFields,
    scheme: z.literal("ed25519"),
    ed25519: ed25519ParamsSchema,
  }),
]);
export type Credential = z.infer<typeof credentialSchema>;

/** The time step length of a credential, in seconds. */
export function periodOf(credential: VerifiableCredential): number {
  return credential.scheme === "totp" ? credential.totp.period : credential.ed25519.period;
}
