import { ConfigError, loadConfig } from "../../config/load-config.js";
import type { ReaderConfig } from "../../config/schema.js";
import { escapeControl } from "../ops/escape-control.js";
import { printJson } from "../output.js";
import { findDevices } from "../setup/find-devices.js";
import { configuredReaderFor, describeReaderSource } from "../setup/reader-match.js";

/**
 * `passgate reader list`: the readers configured in `file`; with `present` (or when `file`
 * does not exist yet, as before `passgate init`) the serial ports and HID devices of this
 * machine, each with a config snippet and the reader it is configured as.
 */
export async function readerList(
  file: string,
  options: { readonly present: boolean; readonly json: boolean },
): Promise<void> {
  let readers: readonly ReaderConfig[] | undefined;
  try {
    readers = loadConfig(file).readers;
  } catch (err) {
    if (!(err instanceof ConfigError) || err.code !== "CONFIG_NOT_FOUND") throw err;
    if (!options.present)
      process.stderr.write(`passgate: no config at ${file}; listing the devices present\n`);
  }
  if (readers !== undefined && !options.present) {
    printConfigured(readers, options.json);
    return;
  }
  const devices = (await findDevices(readers?.map((r) => r.id))).map((d) => ({
    ...d,
    configured: readers === undefined ? null : (configuredReaderFor(d, readers) ?? null),
  }));
  if (options.json) {
    printJson(devices);
    return;
  }
  if (devices.length === 0) {
    process.stdout.write("no serial ports or HID devices found\n");
    return;
  }
  for (const d of devices) {
    const ids = d.vendorId === undefined ? "" : ` ${d.vendorId}:${d.productId ?? "????"}`;
    const mode = d.mode === undefined ? "" : ` (${d.mode})`;
    const as = d.configured === null ? "" : ` [configured as ${d.configured}]`;
    const board = d.onBoard === true ? " [on-board port: unlikely to be a scanner]" : "";
    // The description is the device's own USB string: printed with its control characters escaped.
    process.stdout.write(
      `${d.kind} ${escapeControl(d.path)}${ids}${mode} ${escapeControl(d.description)}${as}${board}\n${d.snippet}\n\n`,
    );
  }
}

function printConfigured(readers: readonly ReaderConfig[], json: boolean): void {
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
