import { z } from "zod";
import { DURATION_EXPECTED, parseDuration } from "./duration.js";

/**
 * Durations in the config. In a file of its own so every section schema can import it:
 * schema.ts imports the section schemas, so they cannot import it back from there.
 */

/** A duration written as `500ms`, `30s`, `5m`, `12h` or `7d`; parsed to milliseconds. */
export const durationSchema = z
  // A bare number (`window: 300`) would otherwise read "expected a string", which hides the unit.
  .string({ error: DURATION_EXPECTED })
  .regex(/^\d+(ms|s|m|h|d)$/, DURATION_EXPECTED)
  .transform((s) => parseDuration(s) ?? 0);
