import { z } from "zod";
import { siteTopics } from "../daemon/mqtt/topics.js";

/**
 * A guardian notice as a gate signs it on `<prefix>/<site>/notify` (docs/mqtt.md,
 * docs/notices.md): who passed which gate, which way, when, and whose guardians to tell.
 * The envelope is a signed message of the gate (site-roster.md); this is its body.
 */

/** The topic every gate of `site` publishes its notices on: the gates' own topic map's, so the two cannot part. */
export function noticeTopic(prefix: string, site: string): string {
  return siteTopics({ prefix, site }).notify;
}

/**
 * A guardian id as the guardians file writes it (`p-77`): plain characters only, since it
 * also goes into a mail's Message-ID. A notice may name ids of any text the allowlist takes;
 * one the file cannot hold is simply not a known guardian.
 */
export const personIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, "letters, digits and . _ : @ -");

/** A person or guardian id as the allowlist holds it (daemon/allowlist/credential.ts). */
const allowlistIdSchema = z.string().min(1).max(200);

/** The gate id (one topic level, as the gate's config has it). */
const gateIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, "letters, digits, dot, dash or underscore");

/** Most guardians a notice may name: as many as a credential may list. */
export const MAX_GUARDIANS_PER_NOTICE = 16;

export const noticeBodySchema = z.strictObject({
  /** The gate journal entry's id: with the guardian and channel, the key that makes a notice go out once. */
  id: z.uuid(),
  person: allowlistIdSchema,
  credential: z.string().regex(/^\d{1,20}$/),
  gate: gateIdSchema,
  direction: z.enum(["in", "out"]),
  /** Epoch ms of the passage. */
  at: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** The child's display name; shown cleaned of control characters, never as markup. */
  name: z.string().min(1).max(200).optional(),
  guardians: z.array(allowlistIdSchema).min(1).max(MAX_GUARDIANS_PER_NOTICE),
});

export type NoticeBody = z.infer<typeof noticeBodySchema>;
