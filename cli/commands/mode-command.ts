import type { Command } from "commander";
import type { Config } from "../../config/schema.js";
import { type Clock, systemClock } from "../../platform/clock.js";
import type { CliContext } from "../cli-context.js";
import type { OpenModeGate } from "../handlers/mode-gate.js";
import { helpAfter, UTC_HELP, usageError } from "../output.js";

/**
 * `passgate mode [get] [--json]` prints the gate mode; `passgate mode set <mode>` changes it,
 * journaled (kind `mode`, source `cli`) and persisted; a running gate adopts it within a
 * second (cli/handlers/mode-get.ts, mode-set.ts). `open` is called once per command with
 * the access it needs (get reads, set writes).
 */
export function registerModeCommand(
  program: Command,
  open: OpenModeGate,
  clock: Clock = systemClock,
  config?: () => Promise<Config>,
): void {
  const print = async (options: { json?: boolean; utc?: boolean }) => {
    const { modeGet } = await import("../handlers/mode-get.js");
    await modeGet(open, options, clock.now());
  };

  const mode = program
    .command("mode")
    .description("the gate mode: normal, lockdown (nobody passes) or free (everybody passes: fire alarm)")
    .option("--json", "print {mode, since, source}")
    .option("--utc", UTC_HELP)
    .action((options: { json?: boolean; utc?: boolean }) => print(options));
  helpAfter(mode, {
    notes: "`passgate mode` is short for `passgate mode get`.",
    examples: [
      "passgate mode",
      "passgate mode get --json",
      "passgate mode set lockdown",
      "passgate mode set normal",
    ],
  });

  const get = mode
    .command("get")
    .description("print the gate mode, since when and who set it (config, cli, mqtt, ...)")
    .option("--json", "print {mode, since, source}")
    .option("--utc", UTC_HELP)
    // `mode --json get` and `mode get --json` are the same request; the parent may hold the flag.
    .action((_options: unknown, command: Command) =>
      print(command.optsWithGlobals<{ json?: boolean; utc?: boolean }>()),
    );
  helpAfter(get, {
    exitCodes: "0 shown; 1 the config or database cannot be read.",
    examples: ["passgate mode get", "passgate mode get --json | jq -r .mode"],
  });

  const set = mode
    .command("set")
    .description(
      "change the gate mode; journaled, kept across restarts, adopted by a running gate within 1 s",
    )
    .argument("<mode>", "normal | lockdown | free")
    .option(
      "--operator <name>",
      "ask the running gate over MQTT, signed with this operator's key (an admin of its roster)",
    )
    .option("--key <file>", "the operator's key (default ~/.config/passgate/operator-<name>.key)")
    .action(async (wanted: string, options: { operator?: string; key?: string }, command: Command) => {
      const { modeSet, isGateMode, GATE_MODES } = await import("../handlers/mode-set.js");
      if (!isGateMode(wanted))
        usageError(command, `unknown mode "${wanted}": expected ${GATE_MODES.join(", ")}`);
      if (options.operator !== undefined) {
        if (config === undefined) usageError(command, "--operator needs the gate's config");
        const { modeRequest } = await import("../handlers/mode-request.js");
        await modeRequest(
          await config(),
          wanted,
          { operator: options.operator, keyFile: options.key },
          clock,
        );
        return;
      }
      await modeSet(open, wanted, clock);
    });
  helpAfter(set, {
    notes:
      "lockdown: nobody passes. free: the turnstile is held open for everybody (fire alarm, evacuation). normal: the policy decides.",
    exitCodes: "0 set (or already so); 1 the config or database cannot be read; 2 not a mode.",
    examples: [
      "passgate mode set lockdown",
      "passgate mode set free",
      "passgate mode set normal",
      "passgate mode set lockdown --operator desk-1",
    ],
  });
}

/** The gate the config names, its database opened the one way (app/gate-database.ts). */
export function configuredModeGate(ctx: CliContext): OpenModeGate {
  return async (access) => {
    const { openModeGate } = await import("../handlers/mode-gate.js");
    return openModeGate(await ctx.config(), access);
  };
}
