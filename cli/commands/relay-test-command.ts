import type { Command } from "commander";
import { parseDuration } from "../../config/duration.js";
import { type Clock, systemClock } from "../../platform/clock.js";
import type { CliContext } from "../cli-context.js";
import { helpAfter, usageError } from "../output.js";

/** The test pulses a person may ask for, ms: long enough to see, short enough to be safe. */
const PULSE_RANGE_MS = { min: 100, max: 10_000 } as const;

/**
 * `passgate relay test <id> [--pulse 500ms] [--json]`: one test pulse with the board's
 * answer, journaled; asked of the running gate when there is one (cli/handlers/relay-test.ts).
 */
export function registerRelayTestCommand(relay: Command, ctx: CliContext, clock: Clock = systemClock): void {
  const test = relay
    .command("test")
    .description("send a test pulse and show the board's answer (opens the turnstile)")
    .argument("<id>", "the relay's id")
    .option("--pulse <duration>", "how long to open, 100ms to 10s (default: the relay's pulse)")
    .option("--json", "print one JSON document")
    .option("--operator <name>", "ask the running gate as operator:<name>, signed with that operator's key")
    .option("--key <file>", "the operator's key file (default: passgate keys init --operator's place)")
    .action(
      async (
        id: string,
        o: { pulse?: string; json?: boolean; operator?: string; key?: string },
        command: Command,
      ) => {
        const pulseMs = o.pulse === undefined ? undefined : parseDuration(o.pulse);
        if (
          o.pulse !== undefined &&
          (pulseMs === undefined || pulseMs < PULSE_RANGE_MS.min || pulseMs > PULSE_RANGE_MS.max)
        )
          usageError(command, "--pulse is a duration from 100ms to 10s, such as 500ms or 1s");
        if (o.key !== undefined && o.operator === undefined)
          usageError(command, "--key goes with --operator");
        const { relayTest } = await import("../handlers/relay-test.js");
        await relayTest(
          await ctx.config(),
          id,
          { pulseMs, json: o.json === true, operator: o.operator, keyFile: o.key },
          clock,
        );
      },
    );
  helpAfter(test, {
    notes:
      "The turnstile really opens. With the gate running and --operator given, the gate pulses it on a request\nsigned with that operator's key (a member of its roster, guard or admin); otherwise this command\nconnects to the broker and drives the board itself. Either way the pulse is journaled.",
    exitCodes:
      "0 opened and confirmed; 1 no confirmation, board offline or broker unreachable;\n2 usage error.",
    examples: [
      "passgate relay test turnstile",
      "passgate relay test turnstile --pulse 500ms --json",
      "passgate relay test turnstile --operator desk-1   # through the running gate, signed",
    ],
  });
}
