import type { Command } from "commander";
import { type CliContext, cliContext } from "../cli-context.js";
import { helpAfter } from "../output.js";
import type { LineOutput } from "../setup/report-config-errors.js";

/**
 * `passgate config check | get <dot.path> | set <dot.path> <value>`. The file is the root
 * program's global `--config FILE`, else PASSGATE_CONFIG, else ./passgate.yaml. Output
 * goes through the root program's `configureOutput()` (stdout for results, stderr for
 * problems), so a program built around this command alone can capture it; failures set
 * `process.exitCode = 1` (cli/handlers/config-check.ts, config-get.ts, config-set.ts).
 */
export function registerConfigCommand(program: Command, ctx: CliContext = cliContext(program)): void {
  const io = programOutput(program);

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
    .action(async (opts: { json?: boolean }) => {
      const { configCheck } = await import("../handlers/config-check.js");
      configCheck(await ctx.configFile(), { json: opts.json === true }, io);
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
    .action(async (dotPath: string, opts: { json?: boolean }) => {
      const { configGet } = await import("../handlers/config-get.js");
      configGet(await ctx.configFile(), dotPath, { json: opts.json === true }, io);
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
    .action(async (dotPath: string, rawValue: string) => {
      const { configSet } = await import("../handlers/config-set.js");
      configSet(await ctx.configFile(), dotPath, rawValue, io);
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

/** Lines through the program's configured output, read at each write (it may be configured later). */
function programOutput(program: Command): LineOutput {
  const write = (stream: "out" | "err", text: string): void => {
    const output = program.configureOutput();
    const line = `${text}\n`;
    if (stream === "out") (output.writeOut ?? ((s: string) => process.stdout.write(s)))(line);
    else (output.writeErr ?? ((s: string) => process.stderr.write(s)))(line);
  };
  return { out: (text) => write("out", text), err: (text) => write("err", text) };
}
