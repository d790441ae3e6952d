/**
 * Durations as the config and the CLI's options write them. Without the schema library,
 * so a command's option parsing can read one without loading the config schema.
 */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

export const DURATION_EXPECTED = "expected a duration such as 500ms, 30s, 5m, 12h or 7d";

/** `500ms`, `30s`, `5m`, `12h` or `7d` in milliseconds; undefined for any other text. */
export function parseDuration(text: string): number | undefined {
  const [, amount, unit] = DURATION_PATTERN.exec(text) ?? [];
  if (amount === undefined || unit === undefined) return undefined;
  return Number(amount) * (DURATION_UNITS[unit] ?? 1);
}
