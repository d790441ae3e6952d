import type { Command } from "commander";
import type { CliContext } from "../cli-context.js";
import { helpAfter, UTC_HELP } from "../output.js";

/** A comma-separated list option: `--readers in,out`. */
function list(value: string): string[] {
  return value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/** The options of `passgate trust add`, as commander parsed them. */
export interface TrustAddOptions {
  readonly kind?: string;
  readonly publicKey?: string;
  readonly gate?: string;
  readonly readers?: string[];
  readonly roles?: string[];
  readonly gates?: string[];
  readonly name?: string;
  readonly record?: string;
}

/**
 * `passgate trust list | add | remove | import`: the site roster as this gate keeps it
 * (docs/trust.md): who may sign site records, bridged scans and requests for this gate.
 * A roster from the registry replaces local entries; `add` and `remove` serve a site
 * without a registry.
 */
export function registerTrustCommand(program: Command, ctx: CliContext): void {
  const trust = program
    .command("trust")
    .description("the site roster: gates, bridges and operators this gate trusts");
  helpAfter(trust, {
    examples: [
      "passgate trust list",
      "passgate trust add operator:desk-1 --kind operator --roles guard --public-key <key>",
      "passgate trust import roster.ndjson",
    ],
  });

  const listCommand = trust
    .command("list")
    .description("every member with kind, scope, fingerprint, status and origin (registry or local)")
    .option("--json", "one JSON document: {version, members: [{…member, fingerprint, origin, addedAt}]}")
    .option("--utc", UTC_HELP)
    .action(async (options: { json?: boolean; utc?: boolean }) => {
      const { trustList } = await import("../handlers/trust-list.js");
      trustList(await ctx.config(), options);
    });
  helpAfter(listCommand, {
    exitCodes: "0 shown; 1 the config or database cannot be read",
    examples: [
      "passgate trust list",
      "passgate trust list --json | jq '.members[] | select(.kind == \"operator\")'",
    ],
  });

  const add = trust
    .command("add")
    .description("add or replace a local member (a site without a registry)")
    .argument("[id]", "member id, e.g. gate:main-2, bridge:turnstile-3, operator:desk-1")
    .option("--kind <kind>", "gate, bridge or operator")
    .option(
      "--public-key <key>",
      "the member's Ed25519 public key, base64url (passgate keys show prints it); write --public-key=KEY, since a key may begin with '-'",
    )
    .option("--gate <gate>", "gate: its own id; bridge: the gate it feeds")
    .option("--readers <ids>", "bridge: the readers it may deliver scans for, comma-separated", list)
    .option("--roles <roles>", "operator: guard and/or admin, comma-separated", list)
    .option("--gates <ids>", "operator: the gates it may act on (default: all), comma-separated", list)
    .option("--name <text>", "a display name, e.g. Пост охраны 1")
    .option(
      "--record <json>",
      "the member record as passgate keys init/show prints it, instead of the options",
    )
    .action(async (id: string | undefined, options: TrustAddOptions) => {
      const { trustAdd } = await import("../handlers/trust-change.js");
      await trustAdd(ctx, add, id, options);
    });
  helpAfter(add, {
    notes: "The member is stored active; its key is checked to be an Ed25519 public key.",
    exitCodes: "0 added or replaced; 1 the id comes from the registry's roster; 2 an invalid member",
    examples: [
      "passgate trust add gate:main-2 --kind gate --gate main-2 --public-key 7dI6M08jhe5_awh-IBePK-uLDnjvwglQZcHEhW8P0Aw",
      "passgate trust add bridge:t3 --kind bridge --gate main-1 --readers in,out --public-key <key>",
      `passgate trust add --record "$(ssh desk-1 passgate keys show --json | jq -c .member)"`,
    ],
  });

  const remove = trust
    .command("remove")
    .description("remove a local member")
    .argument("<id>", "member id")
    .action(async (id: string) => {
      const { trustRemove } = await import("../handlers/trust-change.js");
      await trustRemove(ctx, id);
    });
  helpAfter(remove, {
    exitCodes: "0 removed; 1 not there, or it comes from the registry's roster (revoke it there)",
    examples: ["passgate trust remove operator:desk-1"],
  });

  const importCommand = trust
    .command("import")
    .description("apply a roster file signed by a registry key this gate trusts (registry.trustedKeys)")
    .argument("<file>", "a pg-roster/1 body, as the registry serves it")
    .action(async (file: string) => {
      const { trustImport } = await import("../handlers/trust-import.js");
      await trustImport(await ctx.config(), file);
    });
  helpAfter(importCommand, {
    notes:
      "Applied whole or not at all, and only when newer than the roster in force; it replaces local members.",
    exitCodes:
      "0 applied; 1 refused (the reason is printed) or the database cannot be written; 2 the file cannot be read",
    examples: ["passgate trust import roster.ndjson"],
  });
}
