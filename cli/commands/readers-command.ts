import type { Command } from "commander";
import { type Clock, systemClock } from "../../platform/clock.js";
import type { CliContext } from "../cli-context.js";
import { helpAfter, UTC_HELP } from "../output.js";
import { registerReaderConfigCommands } from "./reader-config-commands.js";
import { registerReaderListCommand } from "./reader-list-command.js";

/**
 * `passgate reader` (alias `readers`): `list [--present] [--json]` (the configured
 * readers; the devices present, marking which are configured), `add`, `remove`
 * (reader-config-commands.ts) and `test <id>`: live scans from one configured reader,
 * masked, with rejections and state changes; nothing is decided, journaled or opened
 * (cli/handlers/reader-test.ts).
 */
export function registerReadersCommand(program: Command, ctx: CliContext, clock: Clock = systemClock): void {
  const readers = program
    .command("reader")
    .alias("readers")
    .description("list, add, remove and test barcode readers");
  helpAfter(readers, {
    examples: [
      "passgate reader list --present",
      "passgate reader add entry --direction in --usb 0c2e:0b61",
      "passgate reader test entry",
    ],
  });

  registerReaderListCommand(readers, ctx);
  registerReaderConfigCommands(readers, ctx);

  const test = readers
    .command("test")
    .description("show live scans from a configured reader (masked), deciding nothing")
    .argument("<reader-id>", "the id of a reader in the config")
    .option("--count <n>", "exit after this many scans", (v) => Number.parseInt(v, 10))
    .option("--utc", UTC_HELP)
    .action(async (readerId: string, options: { count?: number; utc?: boolean }) => {
      const { readerTest } = await import("../handlers/reader-test.js");
      await readerTest(await ctx.config(), readerId, options, clock);
    });
  helpAfter(test, {
    notes: "Scans are shown masked (first 4 characters and length), never whole.",
    exitCodes: "0 stopped (Ctrl+C or --count reached); 1 unknown reader or config problem.",
    examples: ["passgate reader test reader-in", "passgate reader test reader-in --count 3"],
  });
}
