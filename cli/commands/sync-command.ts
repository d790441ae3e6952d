import type { Command } from "commander";
import { type Clock, systemClock } from "../../platform/clock.js";
import type { CliContext } from "../cli-context.js";
import { helpAfter, UTC_HELP } from "../output.js";

/**
 * `passgate sync now [--snapshot]` and `passgate sync status [--json]` (docs/sync.md;
 * cli/handlers/sync-now.ts and sync-status.ts). Both work on the gate's database beside a
 * running daemon: `now` pulls and uploads once in this process, `status` reads what the
 * daemon recorded. Exit codes: 0 done, 1 the pull or upload failed.
 */
export function registerSyncCommand(program: Command, ctx: CliContext, clock: Clock = systemClock): void {
  const sync = program.command("sync").description("registry sync: pull the allowlist, upload events");
  helpAfter(sync, {
    examples: ["passgate sync now", "passgate sync now --snapshot", "passgate sync status --json"],
  });

  const now = sync
    .command("now")
    .description("pull the allowlist from the registry and upload the event backlog, now")
    .option("--snapshot", "ask for a full snapshot instead of a delta")
    .action(async (options: { snapshot?: boolean }) => {
      const { syncNow } = await import("../handlers/sync-now.js");
      await syncNow(await ctx.config(), options, clock);
    });
  helpAfter(now, {
    notes:
      "Safe beside a running gate: the allowlist switch is atomic and the upload cursor never moves back. Progress shows on a terminal only.",
    exitCodes:
      "0 pulled (or up to date) and uploaded; 1 the pull or the upload failed (the reason is printed), or no registry is configured.",
    examples: ["passgate sync now", "passgate --config /etc/passgate/passgate.yaml sync now --snapshot"],
  });

  const status = sync
    .command("status")
    .description("registry, allowlist version and age, last error, event backlog, next attempt")
    .option("--json", "one JSON object")
    .option("--utc", UTC_HELP)
    .action(async (options: { json?: boolean; utc?: boolean }) => {
      const { syncStatus } = await import("../handlers/sync-status.js");
      syncStatus(await ctx.config(), options, clock.now());
    });
  helpAfter(status, {
    notes: "Reads what the gate recorded; works whether or not the daemon is running.",
    exitCodes: "0 shown; 1 the config or database cannot be read.",
    examples: [
      "passgate sync status",
      "passgate sync status --json | jq '{version, ageSeconds, lastError, backlog}'",
    ],
  });
}
