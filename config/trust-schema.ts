import { z } from "zod";
import { durationSchema } from "./duration-schema.js";

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
  /** A signed message is fresh within this much of the gate's clock, either way (site-roster.md: 30 s). */
  freshness: durationSchema.prefault("30s"),
  /**
   * How far another gate's clock may be from this one's: a shared record for a time step
   * that verifies within this much of now is kept, one further off is refused as out of bounds.
   */
  clockTolerance: durationSchema.prefault("2m"),
  /**
   * A scan from a reader bridge is acted on only within this long of the moment the scanner
   * delivered it (and its message within this long of the gate's clock): nothing opens late.
   * An older scan is journaled as denied `stale_scan`.
   */
  bridgeFreshness: durationSchema.prefault("2s"),
  /**
   * How many scans one reader bridge may deliver, across all its readers: `burst` at once,
   * then `perSecond`; more are refused and counted (`bridge-scan:rate_limited`).
   */
  bridgeLimit: z
    .strictObject({
      burst: z.number().int().min(1).max(10_000).default(20),
      perSecond: z.number().min(0.01).max(10_000).default(5),
    })
    .prefault({}),
  /**
   * Migration only: also act on unsigned site records as gates before signed messages sent
   * them (bounds still apply). Anyone on the broker can then send such records: `passgate
   * doctor` reports it as a failure.
   */
  acceptUnsigned: z.boolean().default(false),
});

export type TrustConfig = z.infer<typeof trustSchema>;
