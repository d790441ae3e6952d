import type { Command } from "commander";
import { stringify } from "yaml";
import { getConfigValue, setConfigValue } from "../../config/edit-config.js";
import { ConfigError, formatConfigError, loadConfig, resolveConfigPath } from "../../config/load-config.js";
import type { Config } from "../../config/schema.js";

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

  config
    .command("check")
    .description("validate the config file and list every problem with its line")
    .action((_opts: unknown, command: Command) => {
      reportingConfigErrors(err, () => out(`config OK: ${summarize(loadConfig(configFile(command)))}`));
    });

  config
    .command("get")
    .description("print the effective value of a key, after defaults (durations in ms)")
    .argument("<dot.path>", "the key, e.g. policy.lockout.attempts or readers.0.id")
    .action((dotPath: string, _opts: unknown, command: Command) => {
      reportingConfigErrors(err, () => {
        const value = getConfigValue(configFile(command), dotPath);
        if (value === undefined) {
          err(`${dotPath} is not set`);
          process.exitCode = 1;
          return;
        }
        out(typeof value === "object" && value !== null ? stringify(value).trimEnd() : String(value));
      });
    });

  config
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
    if (withSummary) err(`${error.file}: ${error.summary}`);
    err(formatConfigError(error));
    process.exitCode = 1;
  }
}

function write(program: Command, stream: "out" | "err", text: string): void {
  const output = program.configureOutput();
  const line = `${text}\n`;
  if (stream === "out") (output.writeOut ?? ((s: string) => process.stdout.write(s)))(line);
  else (output.writeErr ?? ((s: string) => process.stderr.write(s)))(line);
}
