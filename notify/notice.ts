import { z } from "zod";

/**
 * A guardian notice as a gate signs it on `<prefix>/<site>/notify` (docs/mqtt.md,
 * docs/notices.md): who passed which gate, which way, when, and whose guardians to tell.
 * The envelope is a signed message of the gate (site-roster.md); this is its body.
 */

/** The topic every gate of `site` publishes its notices on. */
export function noticeTopic(prefix: string, site: string): string {
  return `${prefix}/${site}/notify`;
}

/** A person or guardian id as the registry writes it (`p-2001`). */
export const personIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "letters, digits and . _ : -");

/** The gate id (one topic level, as the gate's config has it). */
const gateIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, "letters, digits, dot, dash or underscore");

/** Most guardians a notice may name; a child has a few, never dozens. */
export const MAX_GUARDIANS_PER_NOTICE = 8;

export const noticeBodySchema = z.strictObject({
  /** The gate journal entry's id: with the guardian and channel, the key that makes a notice go out once. */
  id: z.uuid(),
  person: personIdSchema,
  credential: z.string().regex(/^\d{1,20}$/),
  gate: gateIdSchema,
  direction: z.enum(["in", "out"]),
  /** Epoch ms of the passage. */
  at: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** The child's display name; shown cleaned of control characters, never as markup. */
  name: z.string().min(1).max(200).optional(),
  guardians: z.array(personIdSchema).min(1).max(MAX_GUARDIANS_PER_NOTICE),
});

export type NoticeBody = z.infer<typeof noticeBodySchema>;
