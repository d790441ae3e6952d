import { type Command, InvalidArgumentError } from "commander";
import type { CliContext } from "../cli-context.js";
import { helpAfter } from "../output.js";

/** `--operator NAME`: the operator's member id is `operator:NAME`. */
function operatorName(value: string): string {
  if (!/^[A-Za-z0-9._-]{1,55}$/.test(value))
    throw new InvalidArgumentError("expected 1–55 letters, digits, dots, dashes or underscores");
  return value;
}

/**
 * `passgate keys init [--operator NAME]` / `keys show`: a member's own Ed25519 key for the
 * site roster (docs/trust.md). A gate's key file is named in the config (`trust.keyFile`);
 * an operator's lives on the operator's machine. Only the public key is ever printed.
 */
export function registerKeysCommand(program: Command, ctx: CliContext): void {
  const keys = program.command("keys").description("this gate's or an operator's own signing key (Ed25519)");
  helpAfter(keys, {
    examples: ["passgate keys init", "passgate keys init --operator desk-1", "passgate keys show --json"],
  });

  const init = keys
    .command("init")
    .description("make a new key (private part in a 0600 file) and print the member record for the roster")
    .option(
      "--operator <name>",
      "an operator's key (member operator:<name>) instead of this gate's; needs no config",
    )
    .option(
      "--output <file>",
      "where the private key goes (gate: trust.keyFile, else gate.key beside the database)",
    )
    .option("--force", "replace an existing key (its old roster entry then no longer verifies)")
    .option("--json", "print {file, member, fingerprint}")
    .action(async (options: { operator?: string; output?: string; force?: boolean; json?: boolean }) => {
      const { keysInit } = await import("../handlers/keys-init.js");
      const operator = options.operator === undefined ? undefined : operatorName(options.operator);
      await keysInit(ctx, { ...options, operator });
    });
  helpAfter(init, {
    notes:
      "The private key never leaves the file and is never printed; what is printed (the public key\nand the member record) goes to the site's registry or to `trust add` on the gates that must trust it.",
    exitCodes: "0 written; 1 a key exists (without --force) or the file cannot be written; 2 usage error",
    examples: [
      "passgate keys init                               # this gate: writes trust.keyFile into the config",
      "passgate keys init --operator desk-1             # on the guard desk's machine",
      "passgate keys init --json | jq .member",
    ],
  });

  const show = keys
    .command("show")
    .description("print the public key, fingerprint and member record of an existing key")
    .option("--key <file>", "an operator's key file (default: this gate's trust.keyFile)")
    .option("--operator <name>", "with --key: the operator's name, for the member record")
    .option("--json", "print {file, member, fingerprint}")
    .action(async (options: { key?: string; operator?: string; json?: boolean }) => {
      const { keysShow } = await import("../handlers/keys-init.js");
      const operator = options.operator === undefined ? undefined : operatorName(options.operator);
      await keysShow(ctx, { ...options, operator });
    });
  helpAfter(show, {
    exitCodes: "0 shown; 1 no key, or a key file others may read; 2 usage error",
    examples: [
      "passgate keys show",
      "passgate keys show --key ~/.config/passgate/operator-desk-1.key --operator desk-1",
    ],
  });
}
