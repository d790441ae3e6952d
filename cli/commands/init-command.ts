import type { Command } from "commander";
import { type Clock, systemClock } from "../../platform/clock.js";
import type { CliContext } from "../cli-context.js";
import { helpAfter, usageError } from "../output.js";
import type { InitQuestionDefaults } from "../setup/ask-init-answers.js";
import { defaultStoragePath, machineTimeZone, parseTrustedKey } from "../setup/init-answers.js";
import { parseReaderOption, type ReaderSpec } from "../setup/reader-spec.js";
import { isRelayKind, RELAY_KINDS } from "../setup/relay-spec.js";

interface InitOptions {
  site?: string;
  gate?: string;
  timezone?: string;
  storage?: string;
  registry?: string;
  registryTokenFile?: string;
  trustedKey: string[];
  broker?: string;
  reader: string[];
  relayKind?: string;
  relayTopic?: string;
  force?: boolean;
  output?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * `passgate init`: writes a first, commented config, from flags or (on a terminal, for
 * what the flags leave out) by asking (cli/handlers/init-config.ts).
 */
export function registerInitCommand(program: Command, ctx: CliContext, clock: Clock = systemClock): void {
  const init = program
    .command("init")
    .description("write a first, commented config for this gate (asks on a terminal)")
    .option("--site <id>", "site id, as the registry knows it")
    .option("--gate <id>", "this gate's id, unique within the site")
    .option("--timezone <tz>", `IANA time zone (default: this machine's, ${machineTimeZone()})`)
    .option("--storage <file>", `database file (default: ${defaultStoragePath()})`)
    .option("--registry <url>", "registry URL (needs --trusted-key)")
    .option("--registry-token-file <file>", "file holding the gate's registry bearer token")
    .option(
      "--trusted-key <id=key>",
      "registry signing key; repeat for several (without --registry: the key that signs the allowlists you import)",
      collect,
      [],
    )
    .option("--broker <url>", "MQTT broker, e.g. mqtt://127.0.0.1:1883 (needed by MQTT relays)")
    .option(
      "--reader <dir=source>",
      "a reader: in=stdin, in=serial:/dev/ttyACM0, in=usb:VID:PID, in=hid:VID:PID, in=hid-keyboard:VID:PID, out=mqtt:TOPIC; repeat for several",
      collect,
      [],
    )
    .option("--relay-kind <kind>", `relay board: ${RELAY_KINDS.join(" | ")}`)
    .option("--relay-topic <topic>", "the board's topic or id (not for log)")
    .option("--force", "replace an existing config file")
    .option("--output <file>", "where to write (default: --config, $PASSGATE_CONFIG or ./passgate.yaml)")
    .action(async (options: InitOptions, command: Command) => {
      const fromFlags = readFlags(options, (message) => usageError(command, message));
      const { initConfig } = await import("../handlers/init-config.js");
      await initConfig(
        options.output ?? (await ctx.configFile()),
        fromFlags,
        { force: options.force === true },
        clock.now(),
      );
    });
  helpAfter(init, {
    notes:
      "Without flags on a terminal, init asks each question with its default in brackets.\nWithout a terminal, --site, --gate, --reader and --relay-kind are required.",
    exitCodes: "0 written; 1 not written (file exists, invalid result); 2 usage error.",
    examples: [
      "passgate init                                   # asks the questions",
      "passgate init --site north-campus --gate main-1 --reader in=usb:0c2e:0b61 \\\n    --relay-kind tasmota --relay-topic turnstile-1 --broker mqtt://127.0.0.1:1883 \\\n    --output /etc/passgate/passgate.yaml",
      "passgate init --site lab --gate bench --reader in=stdin --relay-kind log --output gate.yaml",
    ],
  });
}

/** The answers the flags give; `refuse` stops with a usage error naming the bad flag. */
function readFlags(o: InitOptions, refuse: (message: string) => never): InitQuestionDefaults {
  const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
  const readers: ReaderSpec[] = [];
  for (const text of o.reader) {
    try {
      readers.push(
        parseReaderOption(
          text,
          readers.map((r) => r.id),
        ),
      );
    } catch (err) {
      refuse(message(err));
    }
  }
  if (o.relayKind !== undefined && !isRelayKind(o.relayKind)) {
    refuse(`--relay-kind "${o.relayKind}": expected one of ${RELAY_KINDS.join(", ")}`);
  }
  if (o.registry !== undefined && o.trustedKey.length === 0) {
    refuse("--registry needs --trusted-key ID=KEY: the registry's signing key");
  }
  if (o.registry === undefined && o.registryTokenFile !== undefined) {
    refuse("--registry-token-file needs --registry URL: the token is only sent to a registry");
  }
  const trustedKeys: Record<string, string> = {};
  for (const t of o.trustedKey) {
    try {
      const [id, key] = parseTrustedKey(t);
      trustedKeys[id] = key;
    } catch (err) {
      refuse(message(err));
    }
  }
  return {
    site: o.site,
    gate: o.gate,
    timezone: o.timezone ?? machineTimeZone(),
    storagePath: o.storage ?? defaultStoragePath(),
    readers,
    ...(o.broker === undefined ? {} : { broker: o.broker }),
    // Keys without a registry: a gate that runs from signed allowlists imported by hand.
    ...(o.registry === undefined && o.trustedKey.length === 0
      ? {}
      : { registry: { url: o.registry, tokenFile: o.registryTokenFile, trustedKeys } }),
    ...(o.relayKind === undefined || !isRelayKind(o.relayKind)
      ? {}
      : { relay: { kind: o.relayKind, target: o.relayTopic } }),
  };
}
