import type { Command } from "commander";
import { type Clock, systemClock } from "../../platform/clock.js";
import type { CliContext } from "../cli-context.js";
import { parseIsoTime } from "../option-parsers.js";
import { helpAfter, UTC_HELP } from "../output.js";

/**
 * `passgate identity lookup <credential|person> [--at ISO] [--json]`: what the gate knows
 * about a credential or a person (never key material) and what `decide()` would answer at
 * each reader now, with the reason when not (cli/handlers/identity-lookup.ts). Exit codes:
 * 0 found, 1 not found.
 */
export function registerIdentityCommand(program: Command, ctx: CliContext, clock: Clock = systemClock): void {
  const identity = program
    .command("identity")
    .description("what the gate knows about a person or credential");
  helpAfter(identity, {
    examples: ["passgate identity lookup p-1001", "passgate identity lookup 1001 --json"],
  });
  const lookup = identity
    .command("lookup")
    .description(
      "credentials of a person or id (never secrets) and whether they would pass now at each reader",
    )
    .argument("<credential|person>", "a credential id such as 1001, or a person id such as p-1001")
    .option(
      "--at <time>",
      "ask about another moment (ISO 8601, e.g. 2026-11-25T08:00:00+03:00)",
      parseIsoTime,
    )
    .option("--json", "one JSON document: {query, at, assumption, credentials: [{…, verdicts}]}")
    .option("--utc", UTC_HELP)
    .action(async (what: string, options: { at?: number; json?: boolean; utc?: boolean }) => {
      const { identityLookup } = await import("../handlers/identity-lookup.js");
      await identityLookup(await ctx.config(), what, options, options.at ?? clock.now());
    });
  helpAfter(lookup, {
    notes:
      "The verdict uses the gate's real policy, mode, lockouts, anti-passback state and allowlist age;\nrelay availability only when the daemon answers on its http: endpoint.",
    exitCodes: "0 found; 1 not found or the config/database cannot be read; 2 bad --at",
    examples: [
      "passgate identity lookup 1001",
      "passgate identity lookup p-1001 --json | jq '.credentials[].verdicts'",
      "passgate identity lookup p-1001 --at 2026-11-28T07:30:00+03:00   # on Saturday morning?",
    ],
  });
}
