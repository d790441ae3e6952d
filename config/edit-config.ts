import { isMap, isSeq, parseDocument } from "yaml";
import { z } from "zod";
import { writeFileAtomically } from "./atomic-write.js";
import { unknownPath } from "./config-error.js";
import {
  ConfigError,
  type ConfigIssue,
  checkConfigText,
  formatDotPath,
  loadConfig,
  readConfigFile,
  suggestKey,
} from "./load-config.js";
import { configSchema } from "./schema.js";
import { childSchema, knownKeys, unwrap } from "./schema-walk.js";
import { editYamlText } from "./yaml-edit.js";
/**
 * Splits `policy.rules.1.roles` into its keys. `readers[0].id` is accepted too, and a key
 * holding a dot is written `policy.schedules["office.hours"]`. "" is the whole config.
 */
export function parseDotPath(dotPath: string): string[] {
  return segmentsOf(dotPath, "");
}

function segmentsOf(dotPath: string, file: string): string[] {
  const segment = /(?:^|\.)([^.[\]"]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  const segments: string[] = [];
  while (segment.lastIndex < dotPath.length) {
    const at = segment.lastIndex;
    const match = segment.exec(dotPath);
    if (match === null) throw unknownPath(dotPath, `cannot read the path at "${dotPath.slice(at)}"`, file);
    segments.push(match[1] ?? match[2] ?? String(JSON.parse(match[3] ?? '""')));
  }
  return segments;
}

/**
 * The effective value at a dot path: after defaults, durations in milliseconds and file
 * paths resolved, as the daemon uses it. Undefined when the key exists in the schema but
 * is not set (e.g. `mqtt.url` without an mqtt section). Throws `ConfigError`: the file's
 * own problems, or CONFIG_UNKNOWN_PATH for a key the schema does not have or a list
 * index past the end.
 */
export function getConfigValue(file: string, dotPath: string): unknown {
  const segments = segmentsOf(dotPath, file);
  const config = loadConfig(file);
  let schema: z.core.$ZodType = configSchema;
  let value: unknown = config;
  for (const [i, segment] of segments.entries()) {
    const child = childSchema(schema, segment);
    if (child === undefined) {
      const parent = formatDotPath(segments.slice(0, i));
      const known = knownKeys(schema);
      const suggestion = suggestKey(segment, known);
      const where = parent === "" ? "at the top level" : `in ${parent}`;
      const hint = suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`;
      if (unwrap(schema) instanceof z.ZodArray) {
        throw unknownPath(
          dotPath,
          `${parent} is a list: give an item's index (0, 1, …), not "${segment}"`,
          file,
        );
      }
      const has = known.length > 0 ? `; it has: ${known.join(", ")}` : `: ${parent} holds a single value`;
      throw unknownPath(dotPath, `no key "${segment}" ${where}${hint}${has}`, file);
    }
    schema = child;
    if (Array.isArray(value)) {
      const index = Number(segment);
      if (index >= value.length) {
        const count = `${value.length} item${value.length === 1 ? "" : "s"}`;
        throw unknownPath(
          dotPath,
          `${formatDotPath(segments.slice(0, i))} has ${count}, numbered from 0`,
          file,
        );
      }
      value = value[index];
    } else if (typeof value === "object" && value !== null) {
      value = Object.getOwnPropertyDescriptor(value, segment)?.value;
    } else {
      value = undefined;
    }
  }
  return value;
}

export interface SetConfigResult {
  /** The value written, as read from the raw text (`8` → 8, `[in, out]` → ["in", "out"]). */
  readonly value: unknown;
  /** Problems the file had before the edit and still has: the edit did not add them. */
  readonly remainingIssues: readonly ConfigIssue[];
}

/**
 * Sets the key at a dot path, creating it (and sections above it) when absent. `rawValue`
 * is read as a YAML scalar or flow value, so `8` is a number, `true` a boolean, `[in, out]`
 * a list, `5m` or `Europe/Moscow` a string; text that YAML would read as a block mapping
 * or list (`gate user: one`) is taken as a string.
 *
 * The edited file is validated before it is written. The edit is refused, leaving the
 * file untouched, when it brings a problem that was not there before or any problem at or
 * under the edited key: the `ConfigError` lists them. Problems the file already had
 * elsewhere do not block a fix; they are returned in `remainingIssues`.
 *
 * Replacing an existing single value changes only that value's text: every other byte of
 * the file, comments included, stays as it was. Adding a key or writing a list re-renders
 * the file through `yaml`, which keeps comments and blank lines but may normalise spacing.
 * The write is atomic (a temp file in the same directory, then rename) and keeps the
 * file's mode (and owner, when run as root); a symlinked config is written through.
 */
export function setConfigValue(file: string, dotPath: string, rawValue: string): SetConfigResult {
  const segments = segmentsOf(dotPath, file);
  if (segments.length === 0) {
    throw unknownPath(dotPath, "name the key to set, e.g. policy.lockout.attempts", file);
  }
  const path = formatDotPath(segments);
  const value = parseRawValue(rawValue, path, file);
  const text = readConfigFile(file);

  const before = checkConfigText(text, file);
  if (!before.ok && before.error.code === "CONFIG_YAML") throw before.error;
  const beforeIssues = before.ok ? [] : before.error.issues;

  const next = editYamlText(text, segments, value, file);
  const after = checkConfigText(next, file);
  const afterIssues = after.ok ? [] : after.error.issues;
  const isNew = (issue: ConfigIssue): boolean =>
    issue.path === path ||
    issue.path.startsWith(`${path}.`) ||
    issue.path.startsWith(`${path}[`) ||
    !beforeIssues.some((old) => old.path === issue.path && old.message === issue.message);
  const introduced = afterIssues.filter(isNew);
  if (introduced.length > 0) {
    throw new ConfigError(
      "CONFIG_INVALID",
      file,
      introduced,
      `refused to set ${path}; the file is unchanged`,
    );
  }
  writeFileAtomically(file, next);
  return { value, remainingIssues: afterIssues };
}

function parseRawValue(rawValue: string, path: string, file: string): unknown {
  const doc = parseDocument(rawValue, { prettyErrors: false });
  const [error] = doc.errors;
  if (error !== undefined) {
    const message = `cannot read the value as YAML: ${error.message.split("\n")[0]}`;
    throw new ConfigError("CONFIG_INVALID", file, [{ path, message }], `refused to set ${path}`);
  }
  // Only scalars and flow collections (`[in, out]`, `{type: stdin}`) are read as YAML; text
  // such as `gate user: one` that YAML would read as a block mapping is meant as a string.
  const { contents } = doc;
  if ((isMap(contents) || isSeq(contents)) && contents.flow !== true) return rawValue;
  return doc.toJS();
}

// --- the schema, walked by key --------------------------------------------------------
