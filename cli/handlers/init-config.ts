import { generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { InvalidArgumentError } from "commander";
import { checkConfigText } from "../../config/load-config.js";
import { askInitAnswers, type InitQuestionDefaults } from "../setup/ask-init-answers.js";
import { findDevices } from "../setup/find-devices.js";
import type { InitAnswers } from "../setup/init-answers.js";
import { renderInitConfig } from "../setup/render-init-config.js";
import { writeNewFile } from "../setup/write-new-file.js";

/**
 * `passgate init`: writes a first, commented config to `file`, from the answers the flags
 * gave and, on a terminal, by asking for the rest. The text is validated with the config
 * schema before it is written (an invalid one is a ConfigError), and an existing file is
 * replaced only with `force`. Without a terminal, a missing answer is a usage error
 * (InvalidArgumentError). `now` (epoch ms) is the time written into the file's header.
 */
export async function initConfig(
  file: string,
  fromFlags: InitQuestionDefaults,
  options: { readonly force: boolean },
  now: number,
): Promise<void> {
  if (existsSync(file) && !options.force) {
    throw new Error(`${file} already exists: give --force to replace it, or --output another file`);
  }
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  const answers = interactive
    ? await askInitAnswers({ input: process.stdin, output: process.stdout }, fromFlags, await findDevices())
    : answersFromFlags(fromFlags);
  const text = renderInitConfig(answers, new Date(now));
  const checked = checkConfigText(text, file);
  if (!checked.ok) throw checked.error;
  writeNewFile(file, text, options.force);
  const c = checked.config;
  const key = gateKey(c.trust.keyFile);
  process.stdout.write(
    `wrote ${file}: site ${c.site}, gate ${c.gate}, ${c.timezone}, ${c.readers.length} reader(s), ${c.relays.length} relay(s)\n` +
      key +
      `next: passgate --config ${file} config check; then relay test turnstile, reader test ${c.readers[0]?.id ?? "<id>"}\n`,
  );
}

/**
 * Makes the gate's signing key named by the new config, 0600, unless one is there: a gate
 * that is set up again keeps its identity (its roster entry stays valid). Says which.
 */
function gateKey(keyFile: string | undefined): string {
  if (keyFile === undefined) return "";
  if (existsSync(keyFile)) return `kept the gate's key ${keyFile} (passgate keys show prints it)\n`;
  const { privateKey } = generateKeyPairSync("ed25519");
  writeNewFile(keyFile, privateKey.export({ format: "pem", type: "pkcs8" }).toString(), false, 0o600);
  return `wrote the gate's signing key ${keyFile} (mode 600; passgate keys show prints its public key)\n`;
}

/** With no terminal to ask on, the flags must say everything a config needs. */
function answersFromFlags(fromFlags: InitQuestionDefaults): InitAnswers {
  const { relay } = fromFlags;
  const board = relay !== undefined && relay.kind !== "log";
  const missing = [
    fromFlags.site === undefined ? "--site" : undefined,
    fromFlags.gate === undefined ? "--gate" : undefined,
    fromFlags.readers.length === 0 ? "--reader" : undefined,
    relay === undefined ? "--relay-kind" : undefined,
    board && relay.target === undefined ? "--relay-topic" : undefined,
    board && fromFlags.broker === undefined ? "--broker" : undefined,
  ].filter((f) => f !== undefined);
  if (missing.length > 0) {
    throw new InvalidArgumentError(
      `missing ${missing.join(", ")} (no terminal to ask on; see passgate init --help)`,
    );
  }
  return { ...fromFlags, site: fromFlags.site ?? "", gate: fromFlags.gate ?? "" };
}
