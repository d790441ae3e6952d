import type { Command } from "commander";
import { ConfigError, loadConfig } from "../../config/load-config.js";
import type { ReaderConfig } from "../../config/schema.js";
import { configFileOf } from "../setup/config-file.js";
import { findDevices } from "../setup/find-devices.js";
import { configuredReaderFor, describeReaderSource } from "../setup/reader-match.js";
import { printJson } from "../usage.js";

/**
 * `passgate reader list [--present] [--json]`: the configured readers; with --present
 * (or when there is no config yet, as before `passgate init`) the serial ports and HID
 * devices of this machine, each with a config snippet and the reader it is configured as.
 */
export function registerReaderListCommand(reader: Command): void {
  reader
    .command("list")
    .description("the configured readers; with --present the scanners plugged in")
    .option("--present", "list the serial ports and HID devices of this machine")
    .option("--json", "print one JSON document")
    .addHelpText(
      "after",
      `
Without a config file, the devices present are listed (as with --present).
Exit codes: 0 listed; 1 the config cannot be read.

Examples:
  passgate reader list
  passgate reader list --present
  passgate reader list --present --json | jq '.[] | select(.configured == null) | .path'`,
    )
    .action(async (options: { present?: boolean; json?: boolean }, command: Command) => {
      const file = configFileOf(command);
      let readers: readonly ReaderConfig[] | undefined;
      try {
        readers = loadConfig(file).readers;
      } catch (err) {
        if (!(err instanceof ConfigError) || err.code !== "CONFIG_NOT_FOUND") throw err;
        if (options.present !== true)
          process.stderr.write(`passgate: no config at ${file}; listing the devices present\n`);
      }
      if (readers !== undefined && options.present !== true) return printConfigured(readers, options.json);
      const devices = (await findDevices()).map((d) => ({
        ...d,
        configured: readers === undefined ? null : (configuredReaderFor(d, readers) ?? null),
      }));
      if (options.json) return printJson(devices);
      if (devices.length === 0) {
        process.stdout.write("no serial ports or HID devices found\n");
        return;
      }
      for (const d of devices) {
        const ids = d.vendorId === undefined ? "" : ` ${d.vendorId}:${d.productId ?? "????"}`;
        const mode = d.mode === undefined ? "" : ` (${d.mode})`;
        const as = d.configured === null ? "" : ` [configured as ${d.configured}]`;
        process.stdout.write(`${d.kind} ${d.path}${ids}${mode} ${d.description}${as}\n${d.snippet}\n\n`);
      }
    });
}

function printConfigured(readers: readonly ReaderConfig[], json: boolean | undefined): void {
  const rows = readers.map((r) => ({ id: r.id, direction: r.direction, source: describeReaderSource(r) }));
  if (json) {
    printJson(rows);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write("no readers configured (passgate reader add, or reader list --present)\n");
    return;
  }
  const width = Math.max(...rows.map((r) => r.id.length));
  for (const r of rows)
    process.stdout.write(`${r.id.padEnd(width)}  ${r.direction.padEnd(3)}  ${r.source}\n`);
}
