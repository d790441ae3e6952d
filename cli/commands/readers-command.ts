import type { Command } from "commander";
import { systemClock } from "../../platform/clock.js";
import { openReaderDevices } from "../../reader-bridge/reader-devices.js";
import { maskScan } from "../../reader-bridge/reader-listing.js";
import { startReaders } from "../../reader-bridge/reader-set.js";
import { createCliLogger } from "../cli-logger.js";
import { cliConfig } from "../cli-storage.js";
import { registerReaderConfigCommands } from "./reader-config-commands.js";
import { registerReaderListCommand } from "./reader-list-command.js";

/**
 * `passgate reader` (alias `readers`): `list [--present] [--json]` (the configured
 * readers; the devices present, marking which are configured), `add`, `remove`
 * (reader-config-commands.ts) and `test <id>`: live scans from one configured reader,
 * masked, with rejections and state changes; nothing is decided, journaled or opened.
 */
export function registerReadersCommand(program: Command): void {
  const readers = program
    .command("reader")
    .alias("readers")
    .description("list, add, remove and test barcode readers");
  readers.addHelpText(
    "after",
    `
Examples:
  passgate reader list --present
  passgate reader add entry --direction in --usb 0c2e:0b61
  passgate reader test entry`,
  );

  registerReaderListCommand(readers);
  registerReaderConfigCommands(readers);

  readers
    .command("test")
    .description("show live scans from a configured reader (masked), deciding nothing")
    .argument("<reader-id>", "the id of a reader in the config")
    .option("--count <n>", "exit after this many scans", (v) => Number.parseInt(v, 10))
    .addHelpText(
      "after",
      `
Scans are shown masked (first 4 characters and length), never whole.
Exit codes: 0 stopped (Ctrl+C or --count reached); 1 unknown reader or config problem.

Examples:
  passgate reader test reader-in
  passgate reader test reader-in --count 3`,
    )
    .action(async (readerId: string, options: { count?: number }) => {
      const config = cliConfig(program);
      const reader = config.readers.find((r) => r.id === readerId);
      if (reader === undefined) {
        const known = config.readers.map((r) => r.id).join(", ") || "none";
        throw new Error(`no reader "${readerId}" in the config (readers: ${known})`);
      }
      const logger = createCliLogger("warn").child({ component: "reader" });
      const devices = openReaderDevices({ ...config, readers: [reader] }, logger);
      const print = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
      let scans = 0;
      let finish: () => void = () => {};
      const finished = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const set = await startReaders(
        [reader],
        { clock: systemClock, logger, stdin: process.stdin, ...devices },
        {
          scan: (_r, scan) => {
            scans++;
            print(`scan ${maskScan(scan.text)}`);
            if (options.count !== undefined && scans >= options.count) finish();
            return undefined;
          },
          rejected: (_id, reason) => print(`rejected: ${reason}`),
        },
      );
      let lastState = "";
      const stateTimer = setInterval(() => {
        const state = set.states()[reader.id] ?? "";
        if (state !== lastState) print(`state: ${state}`);
        lastState = state;
      }, 100);
      print(`reading ${reader.id} (${reader.source.type}); Ctrl+C to stop`);
      process.once("SIGINT", finish);
      process.once("SIGTERM", finish);
      await Promise.race([finished, ...set.ended]);
      clearInterval(stateTimer);
      process.off("SIGINT", finish);
      process.off("SIGTERM", finish);
      await set.stop();
      await devices.close();
      const counts = Object.entries(set.counters.forReader(reader.id)).filter(([, n]) => n > 0);
      print(
        `${scans} scan(s); rejected: ${counts.length === 0 ? "none" : counts.map(([r, n]) => `${r} ${n}`).join(", ")}`,
      );
    });
}
