/** Config problems and how they are shown: one line per issue, `file:line path: message`. */

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

/** The error for a `config get/set` path the schema does not have. */
export function unknownPath(dotPath: string, message: string, file = ""): ConfigError {
  return new ConfigError("CONFIG_UNKNOWN_PATH", file, [{ path: dotPath, message }], `no setting ${dotPath}`);
}
