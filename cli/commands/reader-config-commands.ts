import type { Command } from "commander";
import { setConfigValue } from "../../config/edit-config.js";
import { loadConfig } from "../../config/load-config.js";
import { removeConfigListItem } from "../../config/remove-config-item.js";
import { describeError } from "../../platform/log/describe-error.js";
import { configFileOf } from "../setup/config-file.js";
import { parseUsbIds, type ReaderSource, readerConfigOf } from "../setup/reader-spec.js";
import { usageError } from "../usage.js";

interface AddOptions {
  direction?: string;
  serial?: string;
  usb?: string;
  hid?: string;
  hidMode?: string;
  mqtt?: string;
  stdin?: boolean;
}

/** `passgate reader add <id> …` and `passgate reader remove <id>`: edits of `readers:` that keep the file's comments. */
export function registerReaderConfigCommands(reader: Command): void {
  reader
    .command("add")
    .description("add a reader to the config (validated before the file is written)")
    .argument("<id>", "a name for the reader, e.g. entry")
    .option("--direction <dir>", "in or out: which way a person granted here goes")
    .option("--serial <path>", "a serial scanner at a fixed path, e.g. /dev/ttyACM0")
    .option("--usb <vid:pid>", "a serial scanner by its USB ids (stable across re-plugging)")
    .option("--hid <vid:pid>", "a USB HID scanner by its ids")
    .option("--hid-mode <mode>", "with --hid: pos (HID POS, default) or keyboard (keyboard wedge)")
    .option("--mqtt <topic>", "a firmware reader publishing scans on this topic (Tasmota serial bridge)")
    .option("--stdin", "scans from standard input, one per line (testing)")
    .addHelpText(
      "after",
      `
Exactly one source: --serial, --usb, --hid, --mqtt or --stdin. \`reader list --present\`
shows the USB ids of the scanners plugged in.
Exit codes: 0 added; 1 refused (the config would be invalid; unchanged); 2 usage error.

Examples:
  passgate reader add entry --direction in --usb 0c2e:0b61
  passgate reader add exit --direction out --hid 05e0:1200 --hid-mode keyboard
  passgate reader add lobby --direction in --mqtt tele/reader-lobby/RESULT`,
    )
    .action((id: string, o: AddOptions, command: Command) => {
      if (o.direction !== "in" && o.direction !== "out") {
        usageError(command, "give --direction in or --direction out");
      }
      const sources = [o.serial, o.usb, o.hid, o.mqtt, o.stdin].filter((s) => s !== undefined);
      if (sources.length !== 1) {
        usageError(
          command,
          "give exactly one source: --serial PATH, --usb VID:PID, --hid VID:PID, --mqtt TOPIC or --stdin",
        );
      }
      if (o.hidMode !== undefined && o.hidMode !== "pos" && o.hidMode !== "keyboard") {
        usageError(command, "--hid-mode is pos or keyboard");
      }
      let source: ReaderSource;
      try {
        source =
          o.serial !== undefined
            ? { type: "serial", path: o.serial }
            : o.usb !== undefined
              ? { type: "serial-usb", ...parseUsbIds(o.usb) }
              : o.hid !== undefined
                ? { type: "hid", mode: o.hidMode === "keyboard" ? "keyboard" : "pos", ...parseUsbIds(o.hid) }
                : o.mqtt !== undefined
                  ? { type: "mqtt", topic: o.mqtt }
                  : { type: "stdin" };
      } catch (err) {
        usageError(command, describeError(err).message);
      }
      const file = configFileOf(command);
      const config = loadConfig(file);
      if (config.readers.some((r) => r.id === id)) {
        throw new Error(
          `a reader "${id}" is already configured: choose another id, or reader remove ${id} first`,
        );
      }
      const entry = readerConfigOf({ id, direction: o.direction, source });
      setConfigValue(file, `readers.${config.readers.length}`, JSON.stringify(entry));
      process.stdout.write(
        `added reader ${id} (${o.direction}) to ${file}; try it: passgate reader test ${id}\n`,
      );
    });

  reader
    .command("remove")
    .description("remove a reader from the config; refused while a relay follows it")
    .argument("<id>", "the reader's id")
    .addHelpText(
      "after",
      `
Exit codes: 0 removed; 1 unknown reader, or a relay or rotation sensor still uses it.

Examples:
  passgate reader remove exit`,
    )
    .action((id: string, _o: unknown, command: Command) => {
      const file = configFileOf(command);
      const config = loadConfig(file);
      if (!config.readers.some((r) => r.id === id)) {
        const known = config.readers.map((r) => r.id).join(", ") || "none";
        throw new Error(`no reader "${id}" in the config (readers: ${known})`);
      }
      const relays = config.relays.filter((r) => r.reader === id).map((r) => r.id);
      if (relays.length > 0) {
        throw new Error(
          `reader ${id} is used by relay ${relays.join(", ")}: remove the relay first (passgate relay remove ${relays[0]}) or point it at another reader`,
        );
      }
      removeConfigListItem(file, "readers", id);
      process.stdout.write(`removed reader ${id} from ${file}\n`);
    });
}
