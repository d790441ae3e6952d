/** Why a value has no canonical JSON; the message names where in the value and what. */
export class NotCanonicalJsonError extends Error {
  override readonly name = "NotCanonicalJsonError";
}

/** A code point of category Cs: with the `u` flag only a lone surrogate is one (a pair is one astral code point). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * JSON with object keys sorted by UTF-16 code unit, recursively, and no whitespace, so
 * equal data always gives equal text. For plain JSON values this is RFC 8785 (JCS): the RFC
 * writes strings and numbers as ECMAScript's JSON.stringify does, and orders keys as `sort()`
 * does. An object's undefined field is no field, as JSON.stringify has it.
 *
 * Throws `NotCanonicalJsonError`, naming the path (from `options.path`), for anything else:
 * undefined in an array, NaN, a Date, a Map, a bigint, nesting deeper than
 * `options.maxDepth`; with `options.wellFormed`, also a string holding a lone surrogate,
 * which RFC 8785 refuses and JSON.stringify would write as an escape.
 *
 * Why not the `canonicalize` package for all of it: it checks each string one character at
 * a time in JavaScript and keeps a set of the objects it visited; on a reader bridge (run
 * without V8's optimising compiler) it took 21 µs for a signed scan's envelope, this writer
 * 10 µs. The journal's hash chain uses it too (without `wellFormed`, as it always has).
 */
export function canonicalJson(
  value: unknown,
  options: { readonly path: string; readonly maxDepth: number; readonly wellFormed: boolean },
): string {
  return write(value, options.path, 0, options);
}

function write(
  value: unknown,
  path: string,
  depth: number,
  options: { readonly maxDepth: number; readonly wellFormed: boolean },
): string {
  if (depth > options.maxDepth)
    throw new NotCanonicalJsonError(`${path}: nested deeper than ${options.maxDepth} levels`);
  switch (typeof value) {
    case "string":
      if (options.wellFormed && LONE_SURROGATE.test(value))
        throw new NotCanonicalJsonError(`${path}: a lone surrogate has no RFC 8785 form`);
      return JSON.stringify(value);
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new NotCanonicalJsonError(`${path}: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        return `[${value.map((item, i) => write(item, `${path}[${i}]`, depth + 1, options)).join(",")}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const name = (proto as { constructor?: { name?: string } }).constructor?.name ?? "object";
        throw new NotCanonicalJsonError(`${path}: a ${name} is not plain JSON`);
      }
      const record = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(record).sort()) {
        const item = record[key];
        if (item === undefined) continue;
        if (options.wellFormed && LONE_SURROGATE.test(key))
          throw new NotCanonicalJsonError(`${path}: a key with a lone surrogate has no RFC 8785 form`);
        parts.push(`${JSON.stringify(key)}:${write(item, `${path}.${key}`, depth + 1, options)}`);
      }
      return `{${parts.join(",")}}`;
    }
    default:
      throw new NotCanonicalJsonError(`${path}: ${typeof value} is not JSON`);
  }
}
