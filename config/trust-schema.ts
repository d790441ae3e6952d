import { z } from "zod";

/** A member id of a site roster: printable ASCII without spaces, at most 64 characters, e.g. `gate:main-1`. */
export const memberIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces");

/**
 * The `trust:` section: this gate's own identity in the site roster (docs/trust.md). The
 * private key lives in its own file, readable only by passgate (0600), made by
 * `passgate init` or `passgate keys init`; the config names it and never holds key material.
 */
export const trustSchema = z.strictObject({
  /** This gate's Ed25519 private key, PEM (PKCS#8). */
  keyFile: z.string().min(1).optional(),
  /** This gate's member id in the roster; default `gate:<gate>`. */
  memberId: memberIdSchema.optional(),
});

export type TrustConfig = z.infer<typeof trustSchema>;
