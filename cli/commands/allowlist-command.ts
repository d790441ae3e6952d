import type { Command } from "commander";
import { type Clock, systemClock } from "../../platform/clock.js";
import type { CliContext } from "../cli-context.js";
import type { OpenAllowlistStore } from "../handlers/allowlist-store.js";
import { helpAfter, UTC_HELP } from "../output.js";

/**
 * `passgate allowlist import <file> | show <credential-id> | stats [--json]`
 * (cli/handlers/allowlist-*.ts). `openStore` is called once per command with the access it
 * needs (import writes, show and stats only read); the command closes what it returns.
 * Exit codes: 0 done, 1 refused or not found, 2 the database could not be opened.
 */
export function registerAllowlistCommand(
  program: Command,
  openStore: OpenAllowlistStore,
  clock: Clock = systemClock,
): void {
  const allowlist = program
    .command("allowlist")
    .description("the gate's copy of the registry allowlist (see docs/allowlist.md)");
  helpAfter(allowlist, {
    examples: [
      "passgate allowlist import allowlist.ndjson",
      "passgate allowlist show 1001",
      "passgate allowlist stats --json",
    ],
  });

  const importCommand = allowlist
    .command("import")
    .description(
      "verify a signed registry body (snapshot or delta) and apply it; nothing changes if a check fails",
    )
    .argument("<file>", "the body as the registry serves it (NDJSON, ending with its signed trailer)")
    .action(async (file: string) => {
      const { allowlistImport } = await import("../handlers/allowlist-import.js");
      await allowlistImport(openStore, file, clock.now());
    });
  helpAfter(importCommand, {
    notes:
      "The body is checked (signature, site, version order) before anything changes; a refused body leaves the allowlist in force as it was.",
    exitCodes: "0 imported; 1 refused (the reason is printed); 2 the database or the file cannot be read.",
    examples: [
      "passgate --config /etc/passgate/passgate.yaml allowlist import snapshot-v7.ndjson",
      "passgate allowlist import ../shared/spec/allowlist-example.ndjson",
    ],
  });

  const show = allowlist
    .command("show")
    .description("print a credential as the gate sees it (never its TOTP secret or key)")
    .argument("<credential-id>", "the decimal id, e.g. 1001")
    .option("--json", "one JSON object (the credential without key material)")
    .option("--utc", UTC_HELP)
    .action(async (id: string, options: { json?: boolean; utc?: boolean }) => {
      const { allowlistShow } = await import("../handlers/allowlist-show.js");
      await allowlistShow(openStore, id, options, clock.now());
    });
  helpAfter(show, {
    exitCodes: "0 shown; 1 not in the allowlist; 2 not a credential id, or the database cannot be opened.",
    examples: ["passgate allowlist show 1001", "passgate allowlist show 1001 --json | jq .status"],
  });

  const stats = allowlist
    .command("stats")
    .description("site, version, size and age of the allowlist in force")
    .option("--json", "one JSON object")
    .option("--utc", UTC_HELP)
    .action(async (options: { json?: boolean; utc?: boolean }) => {
      const { allowlistStats } = await import("../handlers/allowlist-stats.js");
      await allowlistStats(openStore, options, clock.now());
    });
  helpAfter(stats, {
    notes:
      "No allowlist means every scan is denied; an old one (see `ageSeconds`) means revocations may be missing.",
    exitCodes: "0 shown; 2 the database cannot be opened.",
    examples: ["passgate allowlist stats", "passgate allowlist stats --json | jq .ageSeconds"],
  });
}

/** The store of the gate the config names: its database opened the one way (app/gate-database.ts). */
export function configuredAllowlistStore(ctx: CliContext): OpenAllowlistStore {
  return async (access) => {
    const { openAllowlistStore } = await import("../handlers/allowlist-store.js");
    return openAllowlistStore(await ctx.config(), access);
  };
}
