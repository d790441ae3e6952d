import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { setConfigValue } from "../../config/edit-config.js";
import type { Config } from "../../config/schema.js";
import { keyFingerprint, publicKeyText, readKeyFile } from "../../daemon/trust/key-file.js";
import type { CliContext } from "../cli-context.js";
import { printJson } from "../output.js";
import { operatorKeyFile } from "../setup/operator-key.js";
import { writeNewFile } from "../setup/write-new-file.js";

/** What the roster needs to know of a member, as `keys` prints it. */
interface MemberRecord {
  readonly id: string;
  readonly kind: "gate" | "operator";
  readonly gate?: string;
  readonly roles?: readonly string[];
  readonly publicKey: string;
  readonly status: "active";
}

interface KeysOptions {
  readonly operator?: string | undefined;
  readonly output?: string | undefined;
  readonly force?: boolean | undefined;
  readonly json?: boolean | undefined;
}

/** A gate's key: `trust.keyFile`, else `gate.key` beside the database (the service user's folder). */
function gateKeyFile(config: Config): string {
  return config.trust.keyFile ?? join(dirname(resolve(config.storage.path)), "gate.key");
}

function gateMember(config: Config, publicKey: string): MemberRecord {
  return {
    id: config.trust.memberId ?? `gate:${config.gate}`,
    kind: "gate",
    gate: config.gate,
    publicKey,
    status: "active",
  };
}

function operatorMember(name: string, publicKey: string): MemberRecord {
  // Guard is the least an operator may do; the site's admin grants admin in the roster.
  return { id: `operator:${name}`, kind: "operator", roles: ["guard"], publicKey, status: "active" };
}

function report(file: string, member: MemberRecord, wrote: boolean, json: boolean | undefined): void {
  const fingerprint = keyFingerprint(member.publicKey);
  if (json === true) {
    printJson({ file, member, fingerprint });
    return;
  }
  const head = wrote
    ? `wrote the Ed25519 key of ${member.id} to ${file} (mode 600)`
    : `key of ${member.id} in ${file}`;
  process.stdout.write(
    `${head}\npublic key   ${member.publicKey}\nfingerprint  ${fingerprint}\n` +
      "member record for the site roster (the registry, or the gates that must trust it):\n" +
      `  ${JSON.stringify(member)}\n`,
  );
}

/** Makes a new key pair and writes the private key as PEM, 0600, whole or not at all. */
function writeKey(file: string, replace: boolean): KeyObject {
  const { privateKey } = generateKeyPairSync("ed25519");
  const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  writeNewFile(file, pem, replace, 0o600);
  return privateKey;
}

/**
 * `passgate keys init`: a new key for this gate (its file named in the config's
 * `trust.keyFile`, which is set when it names another file) or, with `--operator`, for an
 * operator on this machine. Refuses to replace a key without `--force`.
 */
export async function keysInit(ctx: CliContext, options: KeysOptions): Promise<void> {
  if (options.operator !== undefined) {
    const file = resolve(options.output ?? operatorKeyFile(options.operator));
    const key = writeKey(file, options.force === true);
    report(file, operatorMember(options.operator, publicKeyText(key)), true, options.json);
    return;
  }
  const config = await ctx.config();
  const file = resolve(options.output ?? gateKeyFile(config));
  if (existsSync(file) && options.force !== true) {
    process.stderr.write(
      `passgate: a key exists at ${file}: passgate keys show prints it; --force replaces it (its roster entry must then be replaced too)\n`,
    );
    process.exitCode = 1;
    return;
  }
  const key = writeKey(file, options.force === true);
  if (config.trust.keyFile === undefined || resolve(config.trust.keyFile) !== file) {
    setConfigValue(await ctx.configFile(), "trust.keyFile", JSON.stringify(file));
  }
  report(file, gateMember(config, publicKeyText(key)), true, options.json);
}

/** `passgate keys show`: the public side of this gate's key, or of an operator's key file. */
export async function keysShow(
  ctx: CliContext,
  options: {
    readonly key?: string | undefined;
    readonly operator?: string | undefined;
    readonly json?: boolean | undefined;
  },
): Promise<void> {
  if (options.key !== undefined) {
    const file = resolve(options.key);
    const publicKey = publicKeyText(readKeyFile(file));
    const member =
      options.operator !== undefined
        ? operatorMember(options.operator, publicKey)
        : { id: "(unnamed)", kind: "operator" as const, publicKey, status: "active" as const };
    report(file, member, false, options.json);
    return;
  }
  const config = await ctx.config();
  const file = config.trust.keyFile;
  if (file === undefined) {
    process.stderr.write(
      "passgate: this gate has no key yet (trust.keyFile): make one with passgate keys init\n",
    );
    process.exitCode = 1;
    return;
  }
  report(resolve(file), gateMember(config, publicKeyText(readKeyFile(file))), false, options.json);
}
