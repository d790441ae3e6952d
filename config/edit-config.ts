import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  closeSync,
  fsyncSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import {
  Composer,
  CST,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  Parser,
  parse,
  parseDocument,
  Scalar,
  type ToStringOptions,
  YAMLMap,
  YAMLSeq,
} from "yaml";
import { z } from "zod";
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

function unknownPath(dotPath: string, message: string, file = ""): ConfigError {
  return new ConfigError("CONFIG_UNKNOWN_PATH", file, [{ path: dotPath, message }], `no setting ${dotPath}`);
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

/** The schema under optional/default wrappers; a duration's string side for its pipe. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault
    ) {
      current = current.unwrap();
    } else if (current instanceof z.ZodPipe) {
      current = current.in;
    } else {
      return current;
    }
  }
}

function childSchema(parent: z.core.$ZodType, key: string): z.core.$ZodType | undefined {
  const schema = unwrap(parent);
  if (schema instanceof z.ZodObject) {
    const shape: Record<string, z.core.$ZodType> = schema.shape;
    return Object.hasOwn(shape, key) ? shape[key] : undefined;
  }
  if (schema instanceof z.ZodArray) return /^\d+$/.test(key) ? schema.element : undefined;
  if (schema instanceof z.ZodRecord) return schema.valueType;
  if (schema instanceof z.ZodUnion) {
    const options: readonly z.core.$ZodType[] = schema.options;
    for (const option of options) {
      const child = childSchema(option, key);
      if (child !== undefined) return child;
    }
  }
  return undefined;
}

function knownKeys(parent: z.core.$ZodType): string[] {
  const schema = unwrap(parent);
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodUnion) {
    const options: readonly z.core.$ZodType[] = schema.options;
    return [...new Set(options.flatMap(knownKeys))];
  }
  return [];
}

// --- editing the YAML text ------------------------------------------------------------

function editYamlText(text: string, segments: readonly string[], value: unknown, file: string): string {
  return replaceScalarInPlace(text, segments, value) ?? setInDocument(text, segments, value, file);
}

type ScalarValue = string | number | boolean | null;

function isScalarValue(value: unknown): value is ScalarValue {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

/**
 * Rewrites only the source token of an existing scalar (yaml's CST), so the rest of the
 * file stays byte for byte. Undefined when that is not possible: the key is absent, it
 * holds a list or section, or the new value is one.
 */
function replaceScalarInPlace(text: string, segments: readonly string[], value: unknown): string | undefined {
  if (!isScalarValue(value)) return undefined;
  const tokens = Array.from(new Parser().parse(text));
  const docs = Array.from(new Composer({ keepSourceTokens: true }).compose(tokens));
  const [doc] = docs;
  if (doc === undefined || docs.length !== 1) return undefined;
  const found = findNode(doc, segments);
  if (found === undefined || !isScalar(found.node)) return undefined;
  const { node, afterKey, inFlow } = found;
  if (node.srcToken === undefined) return undefined;
  CST.setScalarValue(node.srcToken, value === null ? "null" : String(value), {
    afterKey,
    inFlow,
    type: scalarType(value, node),
  });
  const next = tokens.map((token) => CST.stringify(token)).join("");
  // The CST knows no types: make sure the text reads back as the value (e.g. that the
  // string "true" was not written bare); otherwise take the slower, always-right route.
  const reread = parseDocument(next);
  return reread.errors.length === 0 && Object.is(reread.getIn(segments), value) ? next : undefined;
}

/** Keeps the scalar's quoting where it can; a string that would read as something else is quoted. */
function scalarType(value: ScalarValue, old: Scalar): Scalar.Type {
  if (typeof value !== "string") return Scalar.PLAIN;
  if (old.type === Scalar.QUOTE_DOUBLE || old.type === Scalar.QUOTE_SINGLE) return old.type;
  if (old.type === Scalar.BLOCK_LITERAL && value.includes("\n")) return old.type;
  return readsBackPlain(value) ? Scalar.PLAIN : Scalar.QUOTE_DOUBLE;
}

function readsBackPlain(value: string): boolean {
  try {
    return parse(value) === value;
  } catch {
    // Not even valid YAML when written bare, so it has to be quoted.
    return false;
  }
}

function findNode(
  doc: Document,
  segments: readonly string[],
): { node: unknown; afterKey: boolean; inFlow: boolean } | undefined {
  let node: unknown = doc.contents;
  let afterKey = false;
  let inFlow = false;
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = findPair(node, segment);
      if (pair === undefined) return undefined;
      inFlow ||= node.flow === true;
      afterKey = !inFlow;
      node = pair.value;
    } else if (isSeq(node) && /^\d+$/.test(segment)) {
      inFlow ||= node.flow === true;
      afterKey = false;
      node = node.items[Number(segment)];
      if (node === undefined) return undefined;
    } else {
      return undefined;
    }
  }
  return { node, afterKey, inFlow };
}

/** Keys are compared as text, so `2026:` (read by YAML as a number) matches "2026". */
function findPair(map: YAMLMap, key: string) {
  return map.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === key);
}

/**
 * Sets the value through the yaml Document (comments are kept on the nodes), creating
 * the sections and list items on the way; then renders the whole document in the file's
 * own indentation. A list item can be replaced or appended (index = length), no further.
 */
function setInDocument(text: string, segments: readonly string[], value: unknown, file: string): string {
  const doc = parseDocument(text);
  const path = formatDotPath(segments);
  const leaf: Node =
    typeof value === "object" && value !== null
      ? doc.createNode(value, { flow: true })
      : doc.createNode(value);
  const build = (rest: readonly string[]): Node =>
    rest.reduceRight<Node>((inner, key) => {
      if (/^\d+$/.test(key)) {
        if (key !== "0") throw unknownPath(path, `a new list starts at index 0, not ${key}`, file);
        const seq = new YAMLSeq(doc.schema);
        seq.items.push(inner);
        return seq;
      }
      const map = new YAMLMap(doc.schema);
      map.items.push(doc.createPair(key, inner));
      return map;
    }, leaf);

  // An empty file could only become valid by setting site, gate and timezone at once.
  if (!isMap(doc.contents)) {
    throw unknownPath(path, "the file holds no settings; start from config/example.yaml", file);
  }
  let parent: unknown = doc.contents;
  for (const [i, key] of segments.entries()) {
    const rest = segments.slice(i + 1);
    const last = rest.length === 0;
    if (isMap(parent)) {
      const pair = findPair(parent, key);
      if (pair === undefined) {
        parent.items.push(doc.createPair(key, build(rest)));
        break;
      }
      if (last && isScalar(pair.value) && isScalarValue(value)) {
        pair.value.value = value; // keeps the value's own comment
        break;
      }
      if (last || (isScalar(pair.value) && pair.value.value === null)) {
        pair.value = build(rest);
        break;
      }
      parent = pair.value;
    } else if (isSeq(parent) && /^\d+$/.test(key)) {
      const index = Number(key);
      if (index > parent.items.length) {
        throw unknownPath(
          path,
          `the list has ${parent.items.length} items: use index ${parent.items.length} to add one`,
          file,
        );
      }
      if (index === parent.items.length || last) {
        parent.items[index] = build(rest);
        break;
      }
      parent = parent.items[index];
    } else {
      const at = formatDotPath(segments.slice(0, i));
      const why = isAlias(parent)
        ? "is an alias (*name): edit the anchored original"
        : "holds a single value";
      throw unknownPath(path, `${at} ${why}, so ${key} cannot be set under it`, file);
    }
  }
  return doc.toString(renderOptions(text));
}

/** Render options that follow how the file is already written, to keep the diff small. */
function renderOptions(text: string): ToStringOptions {
  const lines = text.split("\n").filter((line) => line.trim() !== "" && !line.trimStart().startsWith("#"));
  const indents = lines.map((line) => line.length - line.trimStart().length).filter((n) => n > 0);
  let indentSeq = true;
  for (const [i, line] of lines.entries()) {
    const next = lines[i + 1];
    if (/:\s*$/.test(line) && next !== undefined && /^\s*- /.test(next)) {
      indentSeq = next.length - next.trimStart().length > line.length - line.trimStart().length;
      break;
    }
  }
  return {
    indent: indents.length > 0 ? Math.min(...indents) : 2,
    indentSeq,
    lineWidth: 0,
    flowCollectionPadding: lines.some((line) => /[[{] [^\s\]}]/.test(line)),
  };
}

/** Temp file in the same directory, fsync, rename: a power cut leaves the old or the new file. */
function writeFileAtomically(file: string, text: string): void {
  let target: string;
  try {
    target = realpathSync(file);
  } catch (err) {
    throw writeFailed(file, err);
  }
  const { mode, uid, gid } = statSync(target);
  const temp = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
  let fd: number | undefined;
  try {
    fd = openSync(temp, "wx", mode & 0o7777);
    writeFileSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    chmodSync(temp, mode & 0o7777); // the umask may have narrowed the mode given to open
    if (process.getuid?.() === 0) chownSync(temp, uid, gid);
    renameSync(temp, target);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw writeFailed(file, err);
  }
  syncDirectory(dirname(target));
}

/** Makes the rename itself durable; directories cannot be opened for this on Windows. */
function syncDirectory(dir: string): void {
  if (process.platform === "win32") return;
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeFailed(file: string, err: unknown): ConfigError {
  const message = `cannot write: ${err instanceof Error ? err.message : String(err)}`;
  return new ConfigError("CONFIG_WRITE_FAILED", file, [{ path: "", message }], "not written");
}
