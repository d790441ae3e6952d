import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { z } from "zod";
import { type Config, configSchema } from "./schema.js";

/** The file used when neither `--config FILE` nor `PASSGATE_CONFIG` names one. */
export const DEFAULT_CONFIG_PATH = "./passgate.yaml";

/** One problem found in a config file. */
export interface ConfigIssue {
  /** Dot path of the key, as `config get` takes it: `policy.rules.0.schedule`; "" for the whole file. */
  readonly path: string;
  /** What was expected, e.g. `expected one of off, hard, soft, timed (got "strict")`. */
  readonly message: string;
  /** 1-based line of the key in the file, or of the nearest enclosing key that is there. */
  readonly line?: number;
  /** 1-based column; given for YAML syntax errors only. */
  readonly column?: number;
}

export type ConfigErrorCode =
  | "CONFIG_NOT_FOUND"
  | "CONFIG_UNREADABLE"
  | "CONFIG_YAML"
  | "CONFIG_INVALID"
  | "CONFIG_UNKNOWN_PATH"
  | "CONFIG_WRITE_FAILED";

/** A config that cannot be used, with every problem found in it (not only the first). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";

  constructor(
    readonly code: ConfigErrorCode,
    /** The config file as it was named (not resolved), so messages match what the user typed. */
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
    /** One line on what failed, e.g. `is invalid (3 problems)`, `refused to set token.window; …`. */
    readonly summary: string,
  ) {
    const head = file === "" ? summary : `${file}: ${summary}`;
    super([head, ...issues.map((issue) => formatIssue(file, issue))].join("\n"));
  }
}

/**
 * The config file to use: `explicit` (the `--config FILE` option), else the
 * `PASSGATE_CONFIG` environment variable, else `./passgate.yaml`. An empty string counts
 * as not given. The path is returned as given, relative to the working directory.
 */
export function resolveConfigPath(
  explicit?: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  if (explicit !== undefined && explicit !== "") return explicit;
  const fromEnv = env.PASSGATE_CONFIG;
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : DEFAULT_CONFIG_PATH;
}

/**
 * Reads, parses and validates a config file; returns it with defaults applied, durations
 * in milliseconds, and the relative file paths in it (storage.path, mqtt.passwordFile,
 * mqtt.tls.ca/cert/key, registry.tokenFile) resolved against the file's directory.
 * Throws `ConfigError` listing every problem.
 */
export function loadConfig(path: string): Config {
  return parseConfigText(readConfigFile(path), path);
}

/** The text of a config file; throws `ConfigError` (CONFIG_NOT_FOUND, CONFIG_UNREADABLE). */
export function readConfigFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      const hint = "give one with --config FILE or PASSGATE_CONFIG; config/example.yaml is a start";
      throw new ConfigError(
        "CONFIG_NOT_FOUND",
        path,
        [{ path: "", message: `file not found (${hint})` }],
        "not found",
      );
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError("CONFIG_UNREADABLE", path, [{ path: "", message: reason }], "cannot be read");
  }
}

/** `loadConfig` for text already read; `file` names it in messages and anchors relative paths. */
export function parseConfigText(text: string, file: string): Config {
  const checked = checkConfigText(text, file);
  if (!checked.ok) throw checked.error;
  return checked.config;
}

export type ConfigCheck = { ok: true; config: Config } | { ok: false; error: ConfigError };

/** Like `parseConfigText`, but returns the `ConfigError` (CONFIG_YAML or CONFIG_INVALID) instead of throwing it. */
export function checkConfigText(text: string, file: string): ConfigCheck {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e): ConfigIssue => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      return { path: "", message: `YAML syntax error: ${e.message.split("\n")[0]}`, line, column: col };
    });
    return { ok: false, error: new ConfigError("CONFIG_YAML", file, issues, "is not valid YAML") };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const message = `YAML error: ${err instanceof Error ? err.message : String(err)}`;
    return {
      ok: false,
      error: new ConfigError("CONFIG_YAML", file, [{ path: "", message }], "is not valid YAML"),
    };
  }
  const validated = validate(data, doc, lineCounter);
  if (validated.config === undefined) {
    const { issues } = validated;
    const summary = `is invalid (${issues.length} problem${issues.length === 1 ? "" : "s"})`;
    return { ok: false, error: new ConfigError("CONFIG_INVALID", file, issues, summary) };
  }
  return { ok: true, config: resolveConfigFilePaths(validated.config, dirname(resolve(file))) };
}

/** Every issue as `file:line path: message`, one per line, in file order. */
export function formatConfigError(err: ConfigError): string {
  return err.issues.map((issue) => formatIssue(err.file, issue)).join("\n");
}

function formatIssue(file: string, issue: ConfigIssue): string {
  if (file === "" && issue.line === undefined) {
    return issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`;
  }
  let where = file;
  if (issue.line !== undefined) where += `:${issue.line}`;
  if (issue.line !== undefined && issue.column !== undefined) where += `:${issue.column}`;
  return issue.path === "" ? `${where}: ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

/**
 * A path as `config get` takes it: `policy.rules.0.roles`. A key that is not a plain
 * word (it holds a dot or a space) is written `["office.hours"]`.
 */
export function formatDotPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((segment, i) => {
      const text = String(segment);
      if (typeof segment === "number" || /^[A-Za-z0-9_-]+$/.test(text)) return i === 0 ? text : `.${text}`;
      return `[${JSON.stringify(text)}]`;
    })
    .join("");
}

/**
 * The candidate closest to a misspelt `word` (case-insensitive edit distance at most a
 * third of its length, and at least 1), or undefined when none is close.
 */
export function suggestKey(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

type Validated = { config: Config } | { config?: undefined; issues: ConfigIssue[] };

function validate(data: unknown, doc: Document, lineCounter: LineCounter): Validated {
  if (data === null || data === undefined) {
    return {
      issues: [{ path: "", message: "the file is empty: expected the settings (see config/example.yaml)" }],
    };
  }
  // The error map sees the schema object behind an unknown key; its keys feed "did you mean".
  const knownKeys = new Map<string, string[]>();
  const result = configSchema.safeParse(data, {
    reportInput: true,
    error: (raw) => {
      if (raw.code === "unrecognized_keys" && raw.inst instanceof z.ZodObject) {
        knownKeys.set(formatDotPath(raw.path ?? []), Object.keys(raw.inst.shape));
      }
      return readableMessage(raw);
    },
  });
  if (result.success) return { config: result.data };
  const issues = result.error.issues
    .flatMap((issue) => splitIssue(issue, knownKeys))
    .map(({ segments, message }) => ({
      path: formatDotPath(segments),
      message,
      line: lineOf(doc, lineCounter, segments),
    }))
    .sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
  return { issues };
}

/** One issue per unknown key (each has its own line); others get the offending value appended. */
function splitIssue(
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
function readableMessage(raw: z.core.$ZodRawIssue): string | undefined {
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

/**
 * The line of the key at `segments` (or of the list item), else of the deepest enclosing
 * key that is in the file, as for a missing key; undefined when not even the first is.
 */
function lineOf(
  doc: Document,
  lineCounter: LineCounter,
  segments: readonly PropertyKey[],
): number | undefined {
  const lineAt = (node: Node): number | undefined =>
    node.range ? lineCounter.linePos(node.range[0]).line : undefined;
  let node: unknown = doc.contents;
  if (segments.length === 0) return isScalar(node) || isMap(node) || isSeq(node) ? lineAt(node) : undefined;
  let line: number | undefined;
  for (const segment of segments) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair === undefined || !isScalar(pair.key)) break;
      line = lineAt(pair.key);
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (!isScalar(item) && !isMap(item) && !isSeq(item) && !isAlias(item)) break;
      line = lineAt(item);
      node = item;
    } else {
      break;
    }
  }
  return line;
}

/**
 * Paths in the config are relative to the config file's directory, so a config works the
 * same whatever directory the daemon is started from. Absolute paths are kept, and so are
 * SQLite's special names (`:memory:`, `file:` URIs). `~` is not expanded.
 */
export function resolveConfigFilePaths(config: Config, configDir: string): Config {
  const at = (path: string): string =>
    path.startsWith(":") || path.startsWith("file:") ? path : resolve(configDir, path);
  const { mqtt, registry } = config;
  return {
    ...config,
    storage: { ...config.storage, path: at(config.storage.path) },
    ...(mqtt && {
      mqtt: {
        ...mqtt,
        ...(mqtt.passwordFile !== undefined && { passwordFile: at(mqtt.passwordFile) }),
        ...(mqtt.tls && {
          tls: {
            ...mqtt.tls,
            ...(mqtt.tls.ca !== undefined && { ca: at(mqtt.tls.ca) }),
            ...(mqtt.tls.cert !== undefined && { cert: at(mqtt.tls.cert) }),
            ...(mqtt.tls.key !== undefined && { key: at(mqtt.tls.key) }),
          },
        }),
      },
    }),
    ...(registry && {
      registry: {
        ...registry,
        ...(registry.tokenFile !== undefined && { tokenFile: at(registry.tokenFile) }),
      },
    }),
  };
}
