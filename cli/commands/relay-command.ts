import type { Command } from "commander";
import { parseDuration } from "../../config/duration.js";
import type { CliContext } from "../cli-context.js";
import { helpAfter, usageError } from "../output.js";
import { isRelayKind, RELAY_KINDS } from "../setup/relay-spec.js";
import { registerRelayTestCommand } from "./relay-test-command.js";

interface AddOptions {
  reader?: string;
  kind?: string;
  topic?: string;
  id?: string;
  channel?: string;
  pulse: string;
}

/**
 * `passgate relay list | add | remove | test`: the relays that open the turnstile
 * (docs/relays.md). Edits keep the file's comments and are validated before writing
 * (cli/handlers/relay-list.ts, relay-add.ts, relay-remove.ts; relay-test-command.ts).
 */
export function registerRelayCommand(program: Command, ctx: CliContext): void {
  const relay = program
    .command("relay")
    .description("list, add, remove and test the relays that open the turnstile");
  helpAfter(relay, {
    examples: [
      "passgate relay list",
      "passgate relay add turnstile --reader reader-in --kind tasmota --topic turnstile-1",
      "passgate relay test turnstile",
    ],
  });

  const list = relay
    .command("list")
    .description("the configured relays: reader, board and pulse length")
    .option("--json", "print one JSON document")
    .action(async (options: { json?: boolean }) => {
      const { relayList } = await import("../handlers/relay-list.js");
      relayList(await ctx.config(), { json: options.json === true });
    });
  helpAfter(list, {
    exitCodes: "0 listed; 1 the config cannot be read.",
    examples: ["passgate relay list", "passgate relay list --json"],
  });

  const add = relay
    .command("add")
    .description("add a relay that follows the grants of a reader")
    .argument("<id>", "a name for the relay, e.g. turnstile")
    .option("--reader <id>", "the reader whose grants open it")
    .option("--kind <kind>", `the board: ${RELAY_KINDS.join(" | ")}`)
    .option("--topic <topic>", "Tasmota: the board's %topic%; generic: the device name")
    .option("--id <id>", "Shelly: the device id (gen1) or MQTT topic prefix (gen2)")
    .option("--channel <n>", "relay index on the board (Tasmota POWER<n> from 1, Shelly from 0)")
    .option("--pulse <duration>", "how long it is held open, e.g. 1s or 800ms", "1s")
    .action(async (id: string, o: AddOptions, command: Command) => {
      if (o.reader === undefined) usageError(command, "give --reader <id>: the reader whose grants open it");
      if (o.kind === undefined || !isRelayKind(o.kind)) {
        usageError(command, `give --kind, one of ${RELAY_KINDS.join(", ")}`);
      }
      const kind = o.kind;
      const target = kind.startsWith("shelly") ? o.id : o.topic;
      if (kind !== "log" && target === undefined) {
        usageError(
          command,
          kind.startsWith("shelly") ? `a ${kind} relay needs --id` : `a ${kind} relay needs --topic`,
        );
      }
      const channel = o.channel === undefined ? undefined : Number(o.channel);
      if (channel !== undefined && !Number.isInteger(channel))
        usageError(command, "--channel is a whole number");
      if (parseDuration(o.pulse) === undefined)
        usageError(command, "--pulse is a duration such as 1s or 800ms");
      const { relayAdd } = await import("../handlers/relay-add.js");
      relayAdd(await ctx.configFile(), { id, reader: o.reader, kind, target, channel, pulse: o.pulse });
    });
  helpAfter(add, {
    notes: "MQTT boards need the broker under mqtt: (passgate init --broker, or config set mqtt.url …).",
    exitCodes: "0 added; 1 refused (the config would be invalid; unchanged); 2 usage error.",
    examples: [
      "passgate relay add turnstile --reader reader-in --kind tasmota --topic turnstile-1",
      "passgate relay add door --reader reader-out --kind shelly-gen2 --id shellyplus1-a8032ab12345 --channel 0",
      "passgate relay add bench --reader reader-in --kind log",
    ],
  });

  const remove = relay
    .command("remove")
    .description("remove a relay from the config")
    .argument("<id>", "the relay's id")
    .action(async (id: string) => {
      const { relayRemove } = await import("../handlers/relay-remove.js");
      relayRemove(await ctx.configFile(), id);
    });
  helpAfter(remove, {
    exitCodes: "0 removed; 1 unknown relay.",
    examples: ["passgate relay remove turnstile"],
  });

  registerRelayTestCommand(relay, ctx);
}
