import type { Command } from "commander";
import type { CliContext } from "../cli-context.js";
import { helpAfter } from "../output.js";

/**
 * `passgate reader list [--present] [--json]`: the configured readers; with --present
 * (or when there is no config yet, as before `passgate init`) the serial ports and HID
 * devices of this machine (cli/handlers/reader-list.ts).
 */
export function registerReaderListCommand(reader: Command, ctx: CliContext): void {
  const list = reader
    .command("list")
    .description("the configured readers; with --present the scanners plugged in")
    .option("--present", "list the serial ports and HID devices of this machine")
    .option("--json", "print one JSON document")
    .action(async (options: { present?: boolean; json?: boolean }) => {
      const { readerList } = await import("../handlers/reader-list.js");
      await readerList(await ctx.configFile(), {
        present: options.present === true,
        json: options.json === true,
      });
    });
  helpAfter(list, {
    notes: "Without a config file, the devices present are listed (as with --present).",
    exitCodes: "0 listed; 1 the config cannot be read.",
    examples: [
      "passgate reader list",
      "passgate reader list --present",
      "passgate reader list --present --json | jq '.[] | select(.configured == null) | .path'",
    ],
  });
}
