import { z } from "zod";

/**
 * Durations in the config. In a file of its own so every section schema can import it:
 * schema.ts imports the section schemas, so they cannot import it back from there.
 */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const DURATION_EXPECTED = "expected a duration such as 500ms, 30s, 5m, 12h or 7d";

/** A duration written as `500ms`, `30s`, `5m`, `12h` or `7d`; parsed to milliseconds. */
export const durationSchema = z
  // A bare number (`window: 300`) would otherwise read "expected a string", which hides the unit.
  .string({ error: DURATION_EXPECTED })
  .regex(/^\d+(ms|s|m|h|d)$/, DURATION_EXPECTED)
  .transform((s) => {
    const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(s) ?? [];
    return Number(amount) * (DURATION_UNITS[unit ?? "ms"] ?? 1);
  });
