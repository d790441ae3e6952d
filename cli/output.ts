import type { Command } from "commander";
import { safeJson } from "./ops/escape-control.js";

export { printJson, usageError } from "./usage.js";

/** The help of `--utc`, the same on every command that prints times (cli/ops/gate-time.ts). */
export const UTC_HELP = "print times in UTC (ISO 8601, ...Z) instead of the gate's time zone";

/**
 * Prints one value as one line of JSON (JSON lines), for commands that stream records
 * (`journal tail --json`, `events tail --json`) so `jq` can read them as they come.
 */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${safeJson(value)}\n`);
}

/** What `useColour` needs of a stream: `process.stdout`, `process.stderr`, or a fake in a test. */
export interface MaybeTty {
  readonly isTTY?: boolean;
}

/**
 * Whether to colour what goes to `stream`: only on a terminal, and never when the
 * `NO_COLOR` variable is set to anything but the empty string (https://no-color.org).
 * Progress bars and spinners follow the same rule: a pipe or a log file gets plain lines.
 */
export function useColour(
  stream: MaybeTty,
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  const noColour = env.NO_COLOR;
  return stream.isTTY === true && (noColour === undefined || noColour === "");
}

/** Colour functions that return the text unchanged when colour is off. */
export interface Palette {
  readonly ok: (text: string) => string;
  readonly warn: (text: string) => string;
  readonly fail: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly bold: (text: string) => string;
}

/**
 * The palette for `stream` (see `useColour`): green for ok, yellow for warnings, red for
 * failures. Meaning never rests on colour alone; the words (OK, FAIL) are always printed.
 */
export function palette(
  stream: MaybeTty,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Palette {
  const on = useColour(stream, env);
  const sgr =
    (open: number, close: number) =>
    (text: string): string =>
      on ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return { ok: sgr(32, 39), warn: sgr(33, 39), fail: sgr(31, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
}

/**
 * The "Examples:" block of a help text, for `.addHelpText("after", examples(...))`: a
 * blank line, `Examples:`, then each command line indented by two spaces. A line may end
 * with `  # why`, which is kept as written.
 *
 *     examples("passgate allowlist stats", "passgate allowlist stats --json | jq .version")
 */
export function examples(...commands: readonly string[]): string {
  return `\nExamples:\n${commands.map((c) => `  ${c}`).join("\n")}`;
}

/**
 * Adds help text after a command's options: optional notes and exit codes, then its
 * examples (see `examples`). Returns the command so it chains like commander's methods.
 *
 *     helpAfter(cmd, { exitCodes: "0 shown; 1 not found", examples: ["passgate allowlist show 1001"] })
 */
export function helpAfter(
  command: Command,
  help: { readonly notes?: string; readonly exitCodes?: string; readonly examples: readonly string[] },
): Command {
  const parts = [
    help.notes === undefined ? "" : `\n${help.notes}\n`,
    help.exitCodes === undefined ? "" : `\nExit codes: ${help.exitCodes}\n`,
    examples(...help.examples),
  ];
  return command.addHelpText("after", parts.join(""));
}
