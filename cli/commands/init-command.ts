import { existsSync } from "node:fs";
import type { Command } from "commander";
import { checkConfigText, resolveConfigPath } from "../../config/load-config.js";
import { describeError } from "../../platform/log/describe-error.js";
import { askInitAnswers } from "../setup/ask-init-answers.js";
import { findDevices } from "../setup/find-devices.js";
import {
  defaultStoragePath,
  type InitAnswers,
  machineTimeZone,
  parseTrustedKey,
} from "../setup/init-answers.js";
import { parseReaderOption, type ReaderSpec } from "../setup/reader-spec.js";
import { isRelayKind, RELAY_KINDS } from "../setup/relay-spec.js";
import { renderInitConfig } from "../setup/render-init-config.js";
import { writeNewFile } from "../setup/write-new-file.js";
import { usageError } from "../usage.js";

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
 * what the flags leave out) by asking. The text is validated with the config schema before
 * it is written, and an existing file is replaced only with --force.
 */
export function registerInitCommand(program: Command): void {
  const init = program
    .command("init")
    .description("write a first, commented config for this gate (asks on a terminal)")
    .option("--site <id>", "site id, as the registry knows it")
    .option("--gate <id>", "this gate's id, unique within the site")
    .option("--timezone <tz>", `IANA time zone (default: this machine's, ${machineTimeZone()})`)
    .option("--storage <file>", `database file (default: ${defaultStoragePath()})`)
    .option("--registry <url>", "registry URL (needs --trusted-key)")
    .option("--registry-token-file <file>", "file holding the gate's registry bearer token")
    .option("--trusted-key <id=key>", "registry signing key; repeat for several", collect, [])
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
    .option("--output <file>", "where to write (default: --config, $PASSGATE_CONFIG or ./passgate.yaml)");
  init.addHelpText(
    "after",
    `
Without flags on a terminal, init asks each question with its default in brackets.
Without a terminal, --site, --gate, --reader and --relay-kind are required.

Exit codes: 0 written; 1 not written (file exists, invalid result); 2 usage error.

Examples:
  passgate init                                   # asks the questions
  passgate init --site north-campus --gate main-1 --reader in=usb:0c2e:0b61 \\
    --relay-kind tasmota --relay-topic turnstile-1 --broker mqtt://127.0.0.1:1883 \\
    --output /etc/passgate/passgate.yaml
  passgate init --site lab --gate bench --reader in=stdin --relay-kind log --output gate.yaml`,
  );
  init.action(async (options: InitOptions, command: Command) => {
    const file = options.output ?? resolveConfigPath(command.optsWithGlobals<{ config?: string }>().config);
    if (existsSync(file) && options.force !== true) {
      throw new Error(`${file} already exists: give --force to replace it, or --output another file`);
    }
    const fromFlags = readFlags(options, command);
    const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
    let answers: InitAnswers;
    if (interactive) {
      answers = await askInitAnswers(
        { input: process.stdin, output: process.stdout },
        fromFlags,
        await findDevices(),
      );
    } else {
      const missing = [
        fromFlags.site === undefined ? "--site" : undefined,
        fromFlags.gate === undefined ? "--gate" : undefined,
        fromFlags.readers.length === 0 ? "--reader" : undefined,
        fromFlags.relay === undefined ? "--relay-kind" : undefined,
        fromFlags.relay !== undefined &&
        fromFlags.relay.kind !== "log" &&
        fromFlags.relay.target === undefined
          ? "--relay-topic"
          : undefined,
        fromFlags.relay !== undefined && fromFlags.relay.kind !== "log" && fromFlags.broker === undefined
          ? "--broker"
          : undefined,
      ].filter((f) => f !== undefined);
      if (missing.length > 0) {
        usageError(
          command,
          `missing ${missing.join(", ")} (no terminal to ask on; see passgate init --help)`,
        );
      }
      answers = { ...fromFlags, site: fromFlags.site ?? "", gate: fromFlags.gate ?? "" };
    }
    const text = renderInitConfig(answers, new Date());
    const checked = checkConfigText(text, file);
    if (!checked.ok) throw checked.error;
    writeNewFile(file, text, options.force === true);
    const c = checked.config;
    process.stdout.write(
      `wrote ${file}: site ${c.site}, gate ${c.gate}, ${c.timezone}, ${c.readers.length} reader(s), ${c.relays.length} relay(s)\n` +
        `next: passgate --config ${file} config check; then relay test turnstile, reader test ${c.readers[0]?.id ?? "<id>"}\n`,
    );
  });
}

type FlagAnswers = Omit<InitAnswers, "site" | "gate"> & { site?: string; gate?: string };

function readFlags(o: InitOptions, command: Command): FlagAnswers {
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
      usageError(command, describeError(err).message);
    }
  }
  if (o.relayKind !== undefined && !isRelayKind(o.relayKind)) {
    usageError(command, `--relay-kind "${o.relayKind}": expected one of ${RELAY_KINDS.join(", ")}`);
  }
  if (o.registry !== undefined && o.trustedKey.length === 0) {
    usageError(command, "--registry needs --trusted-key ID=KEY: the registry's signing key");
  }
  const trustedKeys: Record<string, string> = {};
  for (const t of o.trustedKey) {
    try {
      const [id, key] = parseTrustedKey(t);
      trustedKeys[id] = key;
    } catch (err) {
      usageError(command, describeError(err).message);
    }
  }
  return {
    site: o.site,
    gate: o.gate,
    timezone: o.timezone ?? machineTimeZone(),
    storagePath: o.storage ?? defaultStoragePath(),
    readers,
    ...(o.broker === undefined ? {} : { broker: o.broker }),
    ...(o.registry === undefined
      ? {}
      : { registry: { url: o.registry, tokenFile: o.registryTokenFile, trustedKeys } }),
    ...(o.relayKind === undefined || !isRelayKind(o.relayKind)
      ? {}
      : { relay: { kind: o.relayKind, target: o.relayTopic } }),
  };
}

/** The scanners present, for `doctor` too. */
export { findDevices };
