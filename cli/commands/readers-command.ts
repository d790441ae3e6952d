import type { Command } from "commander";
import { describeError } from "../../daemon/log/describe-error.js";
import { systemClock } from "../../daemon/ports/clock.js";
import { nodeHidSystem } from "../../reader-bridge/hid-system.js";
import { openReaderDevices } from "../../reader-bridge/reader-devices.js";
import { listReaders, maskScan } from "../../reader-bridge/reader-listing.js";
import { startReaders } from "../../reader-bridge/reader-set.js";
import { nodeSerialSystem } from "../../reader-bridge/serial-system.js";
import { createCliLogger } from "../cli-logger.js";
import { cliConfig } from "../cli-storage.js";

/**
 * `passgate readers list [--json]`: serial ports and HID devices present, with USB ids and
 * a config snippet. `passgate readers test <id>`: live scans from one configured reader,
 * masked, with rejections and state changes; nothing is decided, journaled or opened.
 */
export function registerReadersCommand(program: Command): void {
  const readers = program.command("readers").description("find and test barcode readers");

  readers
    .command("list")
    .description("list serial ports and HID devices, with a config snippet for each")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      const serialSystem = nodeSerialSystem();
      const [ports, hids] = await Promise.all([
        serialSystem.list().catch((err: unknown) => {
          process.stderr.write(`passgate: cannot list serial ports: ${describeError(err).message}\n`);
          return [];
        }),
        nodeHidSystem()
          .devices()
          .catch((err: unknown) => {
            process.stderr.write(`passgate: cannot list HID devices: ${describeError(err).message}\n`);
            return [];
          }),
      ]);
      const listed = listReaders(ports, hids);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
        return;
      }
      if (listed.length === 0) {
        process.stdout.write("no serial ports or HID devices found\n");
        return;
      }
      for (const r of listed) {
        const ids = r.vendorId === undefined ? "" : ` ${r.vendorId}:${r.productId ?? "????"}`;
        const mode = r.mode === undefined ? "" : ` (${r.mode})`;
        process.stdout.write(`${r.kind} ${r.path}${ids}${mode} ${r.description}\n${r.snippet}\n\n`);
      }
    });

  readers
    .command("test")
    .description("show live scans from a configured reader (masked), deciding nothing")
    .argument("<reader-id>", "the id of a reader in the config")
    .option("--count <n>", "exit after this many scans", (v) => Number.parseInt(v, 10))
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
