// config-error.ts, not load-config.ts: the error types without the schema and YAML parser, which
// every command would otherwise load at start (test/architecture/lazy-commands.test.ts).
import { ConfigError, formatConfigError } from "../config/config-error.js";
import { isCorruptionError } from "../platform/database/corruption.js";

/**
 * How an error that stops a command is shown: one line saying what to do (a missing
 * config names the three ways to give one), or the list of a config's problems, one per
 * line. With PASSGATE_DEBUG set, other errors are shown with their stack.
 */
export function describeCliError(
  err: unknown,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  if (err instanceof ConfigError) {
    if (err.code === "CONFIG_NOT_FOUND") return missingConfigMessage(err.file);
    return formatConfigError(err);
  }
  if (env.PASSGATE_DEBUG) return err instanceof Error ? (err.stack ?? err.message) : String(err);
  const message = oneLine(err instanceof Error ? err.message : String(err));
  // SQLite's "database disk image is malformed" alone does not say what to do.
  if (isCorruptionError(err))
    return `passgate: the gate's database is damaged (${message}) — passgate doctor says how to restore a backup`;
  return `passgate: ${message}`;
}

/** `passgate: no config at ./passgate.yaml — pass --config FILE, set PASSGATE_CONFIG, or create one with passgate init` */
export function missingConfigMessage(file: string): string {
  return `passgate: no config at ${file} — pass --config FILE, set PASSGATE_CONFIG, or create one with passgate init`;
}

/** A message on one line: line breaks become "; ", so a log line or a terminal line stays whole. */
export function oneLine(message: string): string {
  return message
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join("; ");
}
