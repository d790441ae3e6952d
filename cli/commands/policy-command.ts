import type { Command } from "commander";
import { type Clock, systemClock } from "../../platform/clock.js";
import type { CliContext } from "../cli-context.js";
import { helpAfter, usageError } from "../output.js";

/**
 * `passgate policy show [--at <ISO time>] [--json]`: who may pass when, in words, from the
 * config's `policy`; with --at, which rules admit their holders at that moment, as the
 * gate's own decide() answers (cli/handlers/policy-show.ts).
 */
export function registerPolicyCommand(program: Command, ctx: CliContext, clock: Clock = systemClock): void {
  const policy = program.command("policy").description("who may pass this gate, and when, in words");
  helpAfter(policy, {
    examples: ["passgate policy show", "passgate policy show --at 2026-12-31T09:00:00+03:00"],
  });
  const show = policy
    .command("show")
    .description("the gate's rules, schedules, holidays, anti-passback, lockout and mode in words")
    .option(
      "--at <time>",
      "also say which rules are open at this moment (ISO 8601, e.g. 2026-12-01T08:30:00+03:00)",
    )
    .option("--json", "print one JSON document")
    .action(async (o: { at?: string; json?: boolean }, command: Command) => {
      const at = o.at === undefined ? undefined : policyMoment(o.at, clock);
      if (at === null) {
        usageError(command, `--at "${o.at}" is not an ISO 8601 time such as 2026-12-01T08:30:00+03:00`);
      }
      const { policyShow } = await import("../handlers/policy-show.js");
      policyShow(await ctx.config(), { at, json: o.json === true });
    });
  helpAfter(show, {
    exitCodes: "0 shown; 1 the config cannot be read; 2 usage error (e.g. --at not a time).",
    examples: [
      "passgate policy show",
      "passgate policy show --at 2026-12-31T09:00:00+03:00",
      "passgate policy show --at now --json",
    ],
  });
}

/** `--at`: `now`, or an ISO 8601 date or time, as epoch ms; null for anything else. */
function policyMoment(text: string, clock: Clock): number | null {
  if (text === "now") return clock.now();
  // Date.parse also takes forms like "12/01/2026"; only ISO 8601 says which zone is meant.
  const ms = Date.parse(text);
  return Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}(T|$)/.test(text) ? null : ms;
}
