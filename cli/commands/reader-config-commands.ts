import type { Command } from "commander";
import type { CliContext } from "../cli-context.js";
import { helpAfter, usageError } from "../output.js";
import { parseUsbIds, type ReaderSource } from "../setup/reader-spec.js";

interface AddOptions {
  direction?: string;
  serial?: string;
  usb?: string;
  hid?: string;
  hidMode?: string;
  mqtt?: string;
  stdin?: boolean;
}

/**
 * `passgate reader add <id> …` and `passgate reader remove <id>`: edits of `readers:` that
 * keep the file's comments (cli/handlers/reader-add.ts, reader-remove.ts).
 */
export function registerReaderConfigCommands(reader: Command, ctx: CliContext): void {
  const add = reader
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
    .action(async (id: string, o: AddOptions, command: Command) => {
      if (o.direction !== "in" && o.direction !== "out") {
        usageError(command, "give --direction in or --direction out");
      }
      const direction = o.direction;
      const source = readerSource(o, (message) => usageError(command, message));
      const { readerAdd } = await import("../handlers/reader-add.js");
      readerAdd(await ctx.configFile(), { id, direction, source });
    });
  helpAfter(add, {
    notes:
      "Exactly one source: --serial, --usb, --hid, --mqtt or --stdin. `reader list --present`\nshows the USB ids of the scanners plugged in.",
    exitCodes: "0 added; 1 refused (the config would be invalid; unchanged); 2 usage error.",
    examples: [
      "passgate reader add entry --direction in --usb 0c2e:0b61",
      "passgate reader add exit --direction out --hid 05e0:1200 --hid-mode keyboard",
      "passgate reader add lobby --direction in --mqtt tele/reader-lobby/RESULT",
    ],
  });

  const remove = reader
    .command("remove")
    .description("remove a reader from the config; refused while a relay follows it")
    .argument("<id>", "the reader's id")
    .action(async (id: string) => {
      const { readerRemove } = await import("../handlers/reader-remove.js");
      readerRemove(await ctx.configFile(), id);
    });
  helpAfter(remove, {
    exitCodes: "0 removed; 1 unknown reader, or a relay or rotation sensor still uses it.",
    examples: ["passgate reader remove exit"],
  });
}

/** The one source of `reader add`'s options; `refuse` stops with a usage error. */
function readerSource(o: AddOptions, refuse: (message: string) => never): ReaderSource {
  const sources = [o.serial, o.usb, o.hid, o.mqtt, o.stdin].filter((s) => s !== undefined);
  if (sources.length !== 1) {
    refuse("give exactly one source: --serial PATH, --usb VID:PID, --hid VID:PID, --mqtt TOPIC or --stdin");
  }
  if (o.hidMode !== undefined && o.hidMode !== "pos" && o.hidMode !== "keyboard") {
    refuse("--hid-mode is pos or keyboard");
  }
  try {
    if (o.serial !== undefined) return { type: "serial", path: o.serial };
    if (o.usb !== undefined) return { type: "serial-usb", ...parseUsbIds(o.usb) };
    if (o.hid !== undefined) {
      return { type: "hid", mode: o.hidMode === "keyboard" ? "keyboard" : "pos", ...parseUsbIds(o.hid) };
    }
    if (o.mqtt !== undefined) return { type: "mqtt", topic: o.mqtt };
    return { type: "stdin" };
  } catch (err) {
    // parseUsbIds says what is wrong with the ids; nothing else here throws.
    return refuse(err instanceof Error ? err.message : String(err));
  }
}
