import type { Command } from "commander";
import type { CliContext } from "../cli-context.js";
import { helpAfter, usageError } from "../output.js";
import { GATE_SETTINGS, isGateSetting } from "../setup/gate-settings.js";

/**
 * `passgate gate show [--json]`: who this gate is and what it is wired to.
 * `passgate gate set <site|gate|timezone|zone> <value>`: changes one of them, keeping the
 * file's comments; refused (file unchanged) if the result would not be a valid config
 * (cli/handlers/gate-show.ts, gate-set.ts).
 */
export function registerGateCommand(program: Command, ctx: CliContext): void {
  const gate = program.command("gate").description("show or change this gate's site, id, time zone and zone");
  helpAfter(gate, {
    examples: [
      "passgate gate show",
      "passgate gate show --json",
      "passgate gate set timezone Europe/Moscow",
      "passgate gate set gate main-2",
    ],
  });

  const show = gate
    .command("show")
    .description("site, gate, time zone, zone, start mode, readers, relays, broker and registry")
    .option("--json", "print one JSON document")
    .action(async (options: { json?: boolean }) => {
      const { gateShow } = await import("../handlers/gate-show.js");
      gateShow(await ctx.config(), { json: options.json === true });
    });
  helpAfter(show, {
    exitCodes: "0 shown; 1 the config cannot be read.",
    examples: [
      "passgate --config /etc/passgate/passgate.yaml gate show",
      "passgate gate show --json | jq -r .timezone",
    ],
  });

  const set = gate
    .command("set")
    .description("change the site, gate id, time zone or zone, keeping the file's comments")
    .argument("<what>", Object.keys(GATE_SETTINGS).join(" | "))
    .argument("<value>", "the new value")
    .action(async (what: string, value: string, _options: unknown, command: Command) => {
      if (!isGateSetting(what)) {
        usageError(command, `cannot set "${what}": expected one of ${Object.keys(GATE_SETTINGS).join(", ")}`);
      }
      const { gateSet } = await import("../handlers/gate-set.js");
      gateSet(await ctx.configFile(), what, value);
    });
  helpAfter(set, {
    exitCodes: "0 changed; 1 refused (the value is invalid; the file is unchanged); 2 usage error.",
    examples: ["passgate gate set timezone Europe/Moscow", "passgate gate set zone library"],
  });
}
