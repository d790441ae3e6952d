import type { Command } from "commander";
import type { CliContext } from "../cli-context.js";
import { helpAfter } from "../output.js";

/** The options of `passgate broker acl`, as commander parsed them. */
export interface BrokerAclOptions {
  readonly gate?: string[];
  readonly roster?: string;
  readonly out: string;
  readonly force?: boolean;
  readonly showPasswords?: boolean;
  readonly json?: boolean;
}

const repeat = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/**
 * `passgate broker acl`: the site broker's accounts with least privilege (docs/mqtt.md,
 * "The site's broker"): mosquitto's acl_file and password_file, the dynamic-security
 * plugin's config, an EMQX acl.conf, and one password file per account.
 */
export function registerBrokerCommand(program: Command, ctx: CliContext): void {
  const broker = program
    .command("broker")
    .description("the site's MQTT broker: accounts and what each may do");
  helpAfter(broker, {
    examples: ["passgate broker acl --gate main-1.yaml --gate main-2.yaml --out /etc/passgate/broker"],
  });

  const acl = broker
    .command("acl")
    .description(
      "write the broker's accounts for every gate, reader bridge, operator, relay and input board of the site",
    )
    .option(
      "--gate <file>",
      "a gate's config file; repeat for every gate of the site (default: --config)",
      repeat,
    )
    .option(
      "--roster <file>",
      "bridges and operators from this pg-roster/1 file (signed by a key in registry.trustedKeys) instead of the first gate's database",
    )
    .requiredOption("--out <dir>", "where the files go (made mode 0700; the files are 0600)")
    .option("--force", "new passwords for every account, replacing the password files (a rotation)")
    .option(
      "--show-passwords",
      "also print each account's password (they are always in passwords/<account>.password)",
    )
    .option(
      "--json",
      "print {site, out, files, accounts: [{name, kind, uses, passwordFile, password: kept|new|replaced, publish, subscribe}], skipped}",
    )
    .action(async (options: BrokerAclOptions) => {
      const { brokerAcl } = await import("../handlers/broker-acl.js");
      await brokerAcl(options.gate ?? [await ctx.configFile()], options);
    });
  helpAfter(acl, {
    notes:
      "Passwords already in <out>/passwords/ are kept, so running it again after a config or roster\nchange keeps every device's password; only new accounts get new ones. Revoked roster members get\nno account. Reload the broker after copying the files (docs/mqtt.md).",
    exitCodes:
      "0 written; 1 a config is invalid, a name or topic cannot be written safely, the roster is refused, or a file cannot be written; 2 usage error or an unreadable roster file",
    examples: [
      "passgate broker acl --gate /etc/passgate/main-1.yaml --gate /etc/passgate/main-2.yaml --out ./broker",
      "passgate broker acl --gate main-1.yaml --roster roster.ndjson --out ./broker --json | jq '.accounts[].name'",
      "passgate broker acl --gate main-1.yaml --out ./broker --force   # new passwords for every account",
    ],
  });
}
