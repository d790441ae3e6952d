import type { Command } from "commander";
import { type Clock, systemClock } from "../../platform/clock.js";
import type { CliContext } from "../cli-context.js";
import { helpAfter, UTC_HELP } from "../output.js";

/** Exit code when `--require-running` is given and the daemon does not answer. */
export const EXIT_DAEMON_UNREACHABLE = 3;

/**
 * `passgate status [--json] [--require-running]`: the gate at a glance (cli/handlers/status.ts).
 * The database's part (mode, allowlist, sync, backlog, last journal entries) is read
 * read-only; the live part (readers, relays, broker) comes from the daemon's `GET /status`
 * on `http.listen`.
 */
export function registerStatusCommand(program: Command, ctx: CliContext, clock: Clock = systemClock): void {
  const status = program
    .command("status")
    .description("mode, readers, relays, broker, allowlist version and age, upload backlog, last decisions")
    .option("--json", "one JSON document: {site, gate, mode, sync, lastDecisions, daemon}")
    .option("--require-running", `exit ${EXIT_DAEMON_UNREACHABLE} when the daemon does not answer`)
    .option("--utc", UTC_HELP)
    .action(async (options: { json?: boolean; requireRunning?: boolean; utc?: boolean }) => {
      const { showStatus } = await import("../handlers/status.js");
      const reachable = await showStatus(await ctx.config(), options, clock.now());
      if (!reachable && options.requireRunning === true) process.exitCode = EXIT_DAEMON_UNREACHABLE;
    });
  helpAfter(status, {
    notes:
      "Reader, relay and broker state come from the running daemon (the config's http: section);\nwithout it they show as unknown and the rest is read from the database.",
    exitCodes: `0 shown; 1 config or database unreadable; ${EXIT_DAEMON_UNREACHABLE} daemon not reachable with --require-running`,
    examples: [
      "passgate status",
      "passgate status --json | jq .sync.backlog",
      "passgate status --require-running || echo 'gate daemon down'",
    ],
  });
}
