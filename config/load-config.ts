import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { z } from "zod";
import { type BridgeConfig, bridgeConfigSchema, resolveBridgePaths } from "./bridge-schema.js";
import { ConfigError, type ConfigIssue, formatDotPath } from "./config-error.js";
import { readableMessage, splitIssue } from "./issue-messages.js";
import { resolveMqttPaths } from "./mqtt-schema.js";
import { type Config, configSchema } from "./schema.js";

export {
  ConfigError,
  type ConfigErrorCode,
  type ConfigIssue,
  formatConfigError,
  formatDotPath,
  suggestKey,
} from "./config-error.js";

/** The file used when neither `--config FILE` nor `PASSGATE_CONFIG` names one. */
export const DEFAULT_CONFIG_PATH = "./passgate.yaml";

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
 * mqtt.tls.ca/cert/key, registry.tokenFile, trust.keyFile) resolved against the file's directory.
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
  return checkYamlConfig(text, file, configSchema, resolveConfigFilePaths);
}

/**
 * Parses and validates YAML `text` against `schema`, reporting every problem with its line
 * (and "did you mean" for unknown keys); `resolvePaths` anchors the file paths in it at the
 * file's directory. One loader for the gate's config and the reader bridge's.
 */
export function checkYamlConfig<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  resolvePaths: (config: z.output<S>, configDir: string) => z.output<S>,
): { ok: true; config: z.output<S> } | { ok: false; error: ConfigError } {
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
  const validated = validate(schema, data, doc, lineCounter);
  if (!validated.ok) {
    const { issues } = validated;
    const summary = `is invalid (${issues.length} problem${issues.length === 1 ? "" : "s"})`;
    return { ok: false, error: new ConfigError("CONFIG_INVALID", file, issues, summary) };
  }
  return { ok: true, config: resolvePaths(validated.config, dirname(resolve(file))) };
}

type Validated<T> = { ok: true; config: T } | { ok: false; issues: ConfigIssue[] };

function validate<S extends z.ZodType>(
  schema: S,
  data: unknown,
  doc: Document,
  lineCounter: LineCounter,
): Validated<z.output<S>> {
  if (data === null || data === undefined) {
    return {
      ok: false,
      issues: [{ path: "", message: "the file is empty: expected the settings (see config/example.yaml)" }],
    };
  }
  // The error map sees the schema object behind an unknown key; its keys feed "did you mean".
  const knownKeys = new Map<string, string[]>();
  const result = schema.safeParse(data, {
    reportInput: true,
    error: (raw) => {
      if (raw.code === "unrecognized_keys" && raw.inst instanceof z.ZodObject) {
        knownKeys.set(formatDotPath(raw.path ?? []), Object.keys(raw.inst.shape));
      }
      return readableMessage(raw);
    },
  });
  if (result.success) return { ok: true, config: result.data };
  const issues = result.error.issues
    .flatMap((issue) => splitIssue(issue, knownKeys))
    .map(({ segments, message }) => ({
      path: formatDotPath(segments),
      message,
      line: lineOf(doc, lineCounter, segments),
    }))
    .sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
  return { ok: false, issues };
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
  const { mqtt, registry, trust } = config;
  return {
    ...config,
    storage: { ...config.storage, path: at(config.storage.path) },
    trust: { ...trust, ...(trust.keyFile !== undefined && { keyFile: at(trust.keyFile) }) },
    ...(mqtt && { mqtt: resolveMqttPaths(mqtt, at) }),
    ...(registry && {
      registry: {
        ...registry,
        ...(registry.tokenFile !== undefined && { tokenFile: at(registry.tokenFile) }),
      },
    }),
  };
}

/** Reads, parses and validates a reader bridge's config file, as `loadConfig` does a gate's. */
export function loadBridgeConfig(path: string): BridgeConfig {
  const checked = checkYamlConfig(readConfigFile(path), path, bridgeConfigSchema, resolveBridgePaths);
  if (!checked.ok) throw checked.error;
  return checked.config;
}
