/** A plain JSON object: what JSON.parse makes of `{…}` (not an array, not null, no class instance). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A plain object with exactly `fields` as its own keys, none missing and none else (as zod's
 * `strictObject` requires of a message: a field nobody checks would still be signed).
 */
export function hasExactlyFields(
  value: unknown,
  fields: readonly string[],
): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === fields.length && keys.every((k) => fields.includes(k));
}
