import type { Command } from "commander";
import { stringify } from "yaml";
import { getConfigValue, setConfigValue } from "../../config/edit-config.js";
import { ConfigError, formatConfigError, loadConfig, resolveConfigPath } from "../../config/load-config.js";
import type { Config } from "../../config/schema.js";
import { missingConfigMessage } from "../cli-errors.js";
import { helpAfter } from "../output.js";

/**
 * `passgate config check | get <dot.path> | set <dot.path> <value>`. The file is the root
 * program's global `--config FILE`, else PASSGATE_CONFIG, else ./passgate.yaml. Output
 * goes through the root program's `configureOutput()` (stdout for results, stderr for
 * problems), so tests can capture it; failures set `process.exitCode = 1`.
 */
export function registerConfigCommand(program: Command): void {
  const out = (text: string): void => write(program, "out", text);
  const err = (text: string): void => write(program, "err", text);
  const configFile = (command: Command): string =>
    resolveConfigPath(command.optsWithGlobals<{ config?: string }>().config);

  const config = program
    .command("config")
    .description("check, read and change the config file (see docs/config.md)");
  helpAfter(config, {
    examples: [
      "passgate --config /etc/passgate/passgate.yaml config check",
      "passgate config get policy.lockout.attempts",
      "passgate config set policy.lockout.attempts 8",
    ],
  });

  const check = config
    .command("check")
    .description("validate the config file and list every problem with its line")
    .option("--json", "print {file, ok, problems: [{path, line, column, message}]}")
    .action((opts: { json?: boolean }, command: Command) => {
      const file = configFile(command);
      if (opts.json) {
        const report = checkReport(file);
        out(JSON.stringify(report));
        if (!report.ok) process.exitCode = 1;
        return;
      }
      reportingConfigErrors(err, () => out(`config OK: ${summarize(loadConfig(file))}`));
    });
  helpAfter(check, {
    exitCodes: "0 the config is valid; 1 it has problems (each printed with its line) or is missing.",
    examples: [
      "passgate --config /etc/passgate/passgate.yaml config check",
      "passgate config check --json | jq -r '.problems[].message'",
    ],
  });

  const get = config
    .command("get")
    .description("print the effective value of a key, after defaults (durations in ms)")
    .argument("<dot.path>", "the key, e.g. policy.lockout.attempts or readers.0.id")
    .option("--json", "print the value as JSON")
    .action((dotPath: string, opts: { json?: boolean }, command: Command) => {
      reportingConfigErrors(err, () => {
        const value = getConfigValue(configFile(command), dotPath);
        if (value === undefined) {
          err(
            `passgate: ${dotPath} is not set and has no default — set it with "passgate config set ${dotPath} VALUE"`,
          );
          process.exitCode = 1;
          return;
        }
        if (opts.json) out(JSON.stringify(value));
        else out(typeof value === "object" && value !== null ? stringify(value).trimEnd() : String(value));
      });
    });
  helpAfter(get, {
    exitCodes: "0 printed; 1 the key is not set, is unknown, or the config cannot be read.",
    examples: [
      "passgate config get policy.lockout.attempts",
      "passgate config get readers.0.id",
      "passgate config get policy.rules --json | jq length",
    ],
  });

  const set = config
    .command("set")
    .description("change one key, keeping the comments of the file; refused if the result is invalid")
    .argument("<dot.path>", "the key, e.g. policy.lockout.attempts (created if absent)")
    .argument("<value>", "a YAML value: 8, true, 5m, Europe/Moscow, '[in, out]'")
    .action((dotPath: string, rawValue: string, _opts: unknown, command: Command) => {
      reportingConfigErrors(
        err,
        () => {
          const file = configFile(command);
          const { value, remainingIssues } = setConfigValue(file, dotPath, rawValue);
          const shown =
            typeof value === "object" && value !== null
              ? stringify(value, { flow: true }).trimEnd()
              : String(value);
          out(`set ${dotPath} to ${shown} in ${file}`);
          if (remainingIssues.length > 0) {
            // The edit is written (it did not make things worse), but the daemon will still refuse the file.
            const problems = `${remainingIssues.length} other problem${remainingIssues.length === 1 ? "" : "s"}`;
            err(`${file} still has ${problems}:`);
            err(formatConfigError(new ConfigError("CONFIG_INVALID", file, remainingIssues, "is invalid")));
          }
        },
        true,
      );
    });
  helpAfter(set, {
    notes:
      "The file is rewritten atomically and keeps its comments; an edit that would make it invalid is refused.",
    exitCodes: "0 set; 1 refused (the file is unchanged) or the config cannot be read.",
    examples: [
      "passgate config set policy.lockout.attempts 8",
      "passgate config set timezone Europe/Moscow",
      "passgate config set readers.0.direction out",
    ],
  });
}

/** What `config check --json` prints: every problem, `ok` when there is none. */
export interface ConfigCheckReport {
  readonly file: string;
  readonly ok: boolean;
  readonly problems: readonly {
    readonly path: string;
    readonly line: number | null;
    readonly column: number | null;
    readonly message: string;
  }[];
}

function checkReport(file: string): ConfigCheckReport {
  try {
    loadConfig(file);
    return { file, ok: true, problems: [] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problems = error.issues.map((issue) => ({
      path: issue.path,
      line: issue.line ?? null,
      column: issue.column ?? null,
      message:
        error.code === "CONFIG_NOT_FOUND"
          ? missingConfigMessage(file).replace(/^passgate: /, "")
          : issue.message,
    }));
    return { file, ok: false, problems };
  }
}

/** `site demo-campus, gate main-1, 1 reader, 1 relay, 4 rules` */
function summarize(config: Config): string {
  const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;
  return [
    `site ${config.site}`,
    `gate ${config.gate}`,
    count(config.readers.length, "reader"),
    count(config.relays.length, "relay"),
    count(config.policy.rules.length, "rule"),
  ].join(", ");
}

/** Prints a `ConfigError` as its issue lines (after its summary line if `withSummary`) and sets exit code 1. */
function reportingConfigErrors(err: (text: string) => void, run: () => void, withSummary = false): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (error.code === "CONFIG_NOT_FOUND") err(missingConfigMessage(error.file));
    else {
      if (withSummary) err(`${error.file}: ${error.summary}`);
      err(formatConfigError(error));
    }
    process.exitCode = 1;
  }
}

function write(program: Command, stream: "out" | "err", text: string): void {
  const output = program.configureOutput();
  const line = `${text}\n`;
  if (stream === "out") (output.writeOut ?? ((s: string) => process.stdout.write(s)))(line);
  else (output.writeErr ?? ((s: string) => process.stderr.write(s)))(line);
}
