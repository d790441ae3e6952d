import { generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { stringify } from "yaml";
import { bridgeConfigSchema } from "../../config/bridge-schema.js";
import { keyFingerprint, publicKeyText, readKeyFile } from "../../daemon/trust/key-file.js";
import { findDevices } from "../setup/find-devices.js";
import { writeNewFile } from "../setup/write-new-file.js";
import { askBridgeAnswers, missingBridgeAnswers } from "./ask-bridge-answers.js";
import { parseReaderSpec } from "./reader-spec.js";

export interface BridgeInitOptions {
  readonly site: string;
  readonly gate: string;
  readonly name: string;
  readonly broker: string;
  readonly reader: readonly string[];
  readonly gateKey?: string | undefined;
  readonly username?: string | undefined;
  readonly passwordFile?: string | undefined;
  readonly force?: boolean | undefined;
}

/**
 * `passgate bridge init`: writes a commented bridge config at `file` and, beside it, the
 * bridge's own Ed25519 key (0600; an existing key is kept, so a re-init does not unpair the
 * bridge). Every value is checked with the bridge's schema before anything is written.
 */
export function bridgeInit(
  file: string,
  options: BridgeInitOptions,
  out: NodeJS.WritableStream = process.stdout,
): void {
  const input = {
    site: options.site,
    gate: options.gate,
    name: options.name,
    keyFile: "./bridge.key",
    ...(options.gateKey === undefined ? {} : { gateKey: options.gateKey }),
    mqtt: {
      url: options.broker,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.passwordFile === undefined ? {} : { passwordFile: options.passwordFile }),
    },
    readers: options.reader.map(parseReaderSpec),
  };
  const checked = bridgeConfigSchema.safeParse(input);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new Error(`bridge config: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  const text =
    "# The reader bridge beside a turnstile, written by `passgate bridge init` (docs/bridge.md).\n" +
    "# Pair it with its gate: `passgate bridge pair` prints what the gate's `passgate trust add` takes.\n" +
    "# gateKey: the gate's public key (`passgate keys show` on the gate); answers are checked with it.\n" +
    "# freshness (default 2s): a scan older than this is never sent; answerTimeout (1500ms): no answer\n" +
    "# by then plays 'try again'. Readers take the gate's reader options (docs/readers.md).\n" +
    stringify(input);
  writeNewFile(file, text, options.force === true);
  const keyFile = join(dirname(resolve(file)), "bridge.key");
  if (!existsSync(keyFile)) {
    const { privateKey } = generateKeyPairSync("ed25519");
    writeNewFile(keyFile, privateKey.export({ format: "pem", type: "pkcs8" }).toString(), false, 0o600);
  }
  const publicKey = publicKeyText(readKeyFile(keyFile));
  out.write(
    `wrote ${file} and the bridge's key ${keyFile} (mode 600)\n` +
      `bridge:${options.name}  fingerprint ${keyFingerprint(publicKey)}\n` +
      "next: passgate bridge pair, then at the gate: passgate trust add --record '<the printed record>'\n",
  );
}

/**
 * `bridge init` as the command runs it: the flags, and on a terminal the questions for what
 * they leave out; without a terminal every required flag must be given.
 */
export async function bridgeInitAsking(
  file: string,
  options: Partial<Omit<BridgeInitOptions, "reader">> & { readonly reader?: readonly string[] | undefined },
  io: {
    readonly input: NodeJS.ReadableStream;
    readonly output: NodeJS.WritableStream;
    readonly terminal: boolean;
  },
): Promise<void> {
  const given = {
    site: options.site,
    gate: options.gate,
    name: options.name,
    broker: options.broker,
    gateKey: options.gateKey,
    reader: [...(options.reader ?? [])],
  };
  const missing = missingBridgeAnswers(given);
  const answers =
    missing.length === 0
      ? {
          ...given,
          site: given.site ?? "",
          gate: given.gate ?? "",
          name: given.name ?? "",
          broker: given.broker ?? "",
        }
      : io.terminal
        ? await askBridgeAnswers(io, given, await findDevices())
        : undefined;
  if (answers === undefined)
    throw new Error(`missing ${missing.join(", ")} (no terminal to ask on; see passgate bridge init --help)`);
  bridgeInit(file, { ...options, ...answers }, io.output);
}
