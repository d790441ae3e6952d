import type { z } from "zod";
import { formatDotPath, suggestKey } from "./config-error.js";

/* zod issues rewritten for the people who edit the config file. */

/** One issue per unknown key (each has its own line); others get the offending value appended. */
export function splitIssue(
  issue: z.core.$ZodIssue,
  knownKeys: ReadonlyMap<string, string[]>,
): { segments: PropertyKey[]; message: string }[] {
  if (issue.code === "unrecognized_keys") {
    const known = knownKeys.get(formatDotPath(issue.path)) ?? [];
    return issue.keys.map((key) => {
      const suggestion = suggestKey(key, known);
      const hint = suggestion === undefined ? "" : `: did you mean "${suggestion}"?`;
      return { segments: [...issue.path, key], message: `unknown key "${key}" (check spelling${hint})` };
    });
  }
  return [{ segments: issue.path, message: withGot(issue.message, issue.input) }];
}

/** Appends the offending value to an "expected …" message, unless it already says what it got. */
function withGot(message: string, input: unknown): string {
  if (!message.startsWith("expected") || message.includes(", got ")) return message;
  const shown = showValue(input);
  return shown === undefined ? message : `${message} (got ${shown})`;
}

/** A scalar as it would be written in the file (strings quoted, long ones cut); undefined for others. */
function showValue(input: unknown): string | undefined {
  if (typeof input === "string")
    return JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input);
  if (typeof input === "number" || typeof input === "boolean") return String(input);
  return undefined;
}

/**
 * zod's messages, rewritten for the people who edit the file: "expected a number, got a
 * string" rather than "Invalid input: expected number, received string". Messages the
 * schema sets itself take precedence over this map.
 */
export function readableMessage(raw: z.core.$ZodRawIssue): string | undefined {
  const missing = raw.input === undefined ? "missing: " : "";
  switch (raw.code) {
    case "invalid_type":
      if (missing) return `${missing}expected ${typeName(raw.expected)}`;
      return `expected ${typeName(raw.expected)}, got ${valueKind(raw.input)}${quoteHint(raw.expected, raw.input)}`;
    case "invalid_value":
      return `${missing}${expectedOneOf(raw.values)}`;
    case "invalid_union": {
      // A discriminated union (`source: {type: …}`) lists the values its discriminator takes;
      // its input is the whole object, so the offending value is picked out of it here.
      const options: unknown[] = Array.isArray(raw.options) ? raw.options : [];
      if (options.length === 0) return `${missing}expected a value of one of the allowed forms`;
      const { discriminator, input } = raw;
      if (typeof discriminator !== "string" || typeof input !== "object" || input === null) {
        return `${missing}${expectedOneOf(options)}`;
      }
      const value: unknown = Object.getOwnPropertyDescriptor(input, discriminator)?.value;
      if (value === undefined) return `missing: ${expectedOneOf(options)}`;
      const shown = showValue(value);
      return `${expectedOneOf(options)}${shown === undefined ? "" : ` (got ${shown})`}`;
    }
    case "too_small":
      return sizeMessage(raw.origin, Number(raw.minimum), raw.inclusive !== false, "at least");
    case "too_big":
      return sizeMessage(raw.origin, Number(raw.maximum), raw.inclusive !== false, "at most");
    case "invalid_format":
      if (raw.format === "date") return "expected a date as YYYY-MM-DD";
      if (raw.format === "regex") return `expected text matching ${raw.pattern ?? "the allowed pattern"}`;
      return `expected a valid ${raw.format}`;
    case "invalid_key":
      return raw.issues[0]?.message ?? "expected a different key";
    case "unrecognized_keys":
      return "unknown key";
    default:
      return undefined;
  }
}

function typeName(expected: string): string {
  const names: Record<string, string> = {
    string: "a string",
    number: "a number",
    int: "a whole number",
    boolean: "true or false",
    array: "a list",
    object: "a section of key: value pairs",
    record: "a section of key: value pairs",
  };
  return names[expected] ?? expected;
}

function valueKind(input: unknown): string {
  if (input === null) return "an empty value";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a section";
  if (typeof input === "number") return Number.isInteger(input) ? "a number" : "a decimal number";
  if (typeof input === "boolean") return String(input);
  return `a ${typeof input}`;
}

/** YAML decides types from how a value is written; these hints say how to write it instead. */
function quoteHint(expected: string, input: unknown): string {
  if (expected === "string" && (typeof input === "number" || typeof input === "boolean")) {
    return ` (put it in quotes: "${input}")`;
  }
  if ((expected === "number" || expected === "int") && typeof input === "string" && /^-?\d/.test(input)) {
    return ` ("${input}": remove the quotes)`;
  }
  if (expected === "boolean" && typeof input === "string") return ` ("${input}": write true or false)`;
  return "";
}

function expectedOneOf(values: readonly unknown[]): string {
  const shown = values.map(String);
  return shown.length === 1 ? `expected ${shown[0]}` : `expected one of ${shown.join(", ")}`;
}

function sizeMessage(
  origin: string,
  limit: number,
  inclusive: boolean,
  bound: "at least" | "at most",
): string {
  if (origin === "string") {
    if (bound === "at least" && limit === 1) return "expected a non-empty value";
    return `expected ${bound} ${limit} characters`;
  }
  if (origin === "array") return `expected ${bound} ${limit} item${limit === 1 ? "" : "s"}`;
  if (inclusive) return `expected ${limit} ${bound === "at least" ? "or more" : "or less"}`;
  return `expected ${bound === "at least" ? "more" : "less"} than ${limit}`;
}
