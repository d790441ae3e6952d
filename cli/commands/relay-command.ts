import type { Command } from "commander";
import { durationSchema } from "../../config/duration-schema.js";
import { setConfigValue } from "../../config/edit-config.js";
import { loadConfig } from "../../config/load-config.js";
import { removeConfigListItem } from "../../config/remove-config-item.js";
import { configFileOf } from "../setup/config-file.js";
import { isRelayKind, RELAY_KINDS, relayDriverOf, relayTargetOf } from "../setup/relay-spec.js";
import { printJson, usageError } from "../usage.js";
import { registerRelayTestCommand } from "./relay-test-command.js";

interface AddOptions {
  reader?: string;
  kind?: string;
  topic?: string;
  id?: string;
  channel?: string;
  pulse?: string;
}

/**
 * `passgate relay list | add | remove | test`: the relays that open the turnstile
 * (docs/relays.md). Edits keep the file's comments and are validated before writing.
 */
export function registerRelayCommand(program: Command): void {
  const relay = program
    .command("relay")
    .description("list, add, remove and test the relays that open the turnstile");
  relay.addHelpText(
    "after",
    `
Examples:
  passgate relay list
  passgate relay add turnstile --reader reader-in --kind tasmota --topic turnstile-1
  passgate relay test turnstile`,
  );

  relay
    .command("list")
    .description("the configured relays: reader, board and pulse length")
    .option("--json", "print one JSON document")
    .addHelpText(
      "after",
      `
Exit codes: 0 listed; 1 the config cannot be read.

Examples:
  passgate relay list
  passgate relay list --json`,
    )
    .action((options: { json?: boolean }, command: Command) => {
      const relays = loadConfig(configFileOf(command)).relays.map((r) => ({
        id: r.id,
        reader: r.reader,
        driver: r.driver,
        board: relayTargetOf(r.driver),
        pulseMs: r.pulse,
      }));
      if (options.json) return printJson(relays);
      if (relays.length === 0) {
        process.stdout.write("no relays configured (passgate relay add)\n");
        return;
      }
      for (const r of relays) {
        process.stdout.write(`${r.id}  reader ${r.reader}  ${r.board}  pulse ${r.pulseMs} ms\n`);
      }
    });

  relay
    .command("add")
    .description("add a relay that follows the grants of a reader")
    .argument("<id>", "a name for the relay, e.g. turnstile")
    .option("--reader <id>", "the reader whose grants open it")
    .option("--kind <kind>", `the board: ${RELAY_KINDS.join(" | ")}`)
    .option("--topic <topic>", "Tasmota: the board's %topic%; generic: the device name")
    .option("--id <id>", "Shelly: the device id (gen1) or MQTT topic prefix (gen2)")
    .option("--channel <n>", "relay index on the board (Tasmota POWER<n> from 1, Shelly from 0)")
    .option("--pulse <duration>", "how long it is held open, e.g. 1s or 800ms", "1s")
    .addHelpText(
      "after",
      `
MQTT boards need the broker under mqtt: (passgate init --broker, or config set mqtt.url …).
Exit codes: 0 added; 1 refused (the config would be invalid; unchanged); 2 usage error.

Examples:
  passgate relay add turnstile --reader reader-in --kind tasmota --topic turnstile-1
  passgate relay add door --reader reader-out --kind shelly-gen2 --id shellyplus1-a8032ab12345 --channel 0
  passgate relay add bench --reader reader-in --kind log`,
    )
    .action((id: string, o: AddOptions, command: Command) => {
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
      if (!durationSchema.safeParse(o.pulse).success)
        usageError(command, "--pulse is a duration such as 1s or 800ms");
      const file = configFileOf(command);
      const config = loadConfig(file);
      if (config.relays.some((r) => r.id === id)) {
        throw new Error(
          `a relay "${id}" is already configured: choose another id, or relay remove ${id} first`,
        );
      }
      const entry = { id, reader: o.reader, driver: relayDriverOf(kind, target, channel), pulse: o.pulse };
      setConfigValue(file, `relays.${config.relays.length}`, JSON.stringify(entry));
      process.stdout.write(
        `added relay ${id} (${relayTargetOf(entry.driver)}) to ${file}; try it: passgate relay test ${id}\n`,
      );
    });

  relay
    .command("remove")
    .description("remove a relay from the config")
    .argument("<id>", "the relay's id")
    .addHelpText(
      "after",
      `
Exit codes: 0 removed; 1 unknown relay.

Examples:
  passgate relay remove turnstile`,
    )
    .action((id: string, _o: unknown, command: Command) => {
      const file = configFileOf(command);
      const config = loadConfig(file);
      if (!config.relays.some((r) => r.id === id)) {
        const known = config.relays.map((r) => r.id).join(", ") || "none";
        throw new Error(`no relay "${id}" in the config (relays: ${known})`);
      }
      removeConfigListItem(file, "relays", id);
      process.stdout.write(`removed relay ${id} from ${file}\n`);
    });

  registerRelayTestCommand(relay);
}
