import type { Direction, ReaderConfig } from "../../config/schema.js";

/** How a reader is given on the command line: its source, before it becomes config. */
export type ReaderSource =
  | { readonly type: "stdin" }
  | { readonly type: "serial"; readonly path: string }
  | { readonly type: "serial-usb"; readonly vendorId: string; readonly productId?: string }
  | {
      readonly type: "hid";
      readonly mode: "keyboard" | "pos";
      readonly vendorId: string;
      readonly productId?: string;
    }
  | { readonly type: "mqtt"; readonly topic: string };

export interface ReaderSpec {
  readonly id: string;
  readonly direction: Direction;
  readonly source: ReaderSource;
}

export class ReaderSpecError extends Error {
  readonly code = "reader_spec";
}

/** "0c2e:0b61" or "0c2e" → the USB ids, lower case; throws ReaderSpecError. */
export function parseUsbIds(text: string): { vendorId: string; productId?: string } {
  const match = /^([0-9a-fA-F]{4})(?::([0-9a-fA-F]{4}))?$/.exec(text);
  if (match === null) throw new ReaderSpecError(`"${text}" is not VID:PID, e.g. 0c2e:0b61`);
  const vendorId = (match[1] ?? "").toLowerCase();
  return match[2] === undefined ? { vendorId } : { vendorId, productId: match[2].toLowerCase() };
}

/**
 * Reads `passgate init --reader` values: `<direction>=<source>` where the source is
 * `stdin`, `serial:/dev/ttyACM0`, `usb:0c2e:0b61` (a serial scanner by USB ids),
 * `hid:0c2e:0b61` (HID POS), `hid-keyboard:0c2e:0b61` or `mqtt:tele/reader-in/RESULT`.
 * The id is `reader-<direction>`, numbered when a direction has several readers.
 */
export function parseReaderOption(text: string, taken: readonly string[]): ReaderSpec {
  const at = text.indexOf("=");
  const direction = text.slice(0, at);
  if (at < 0 || (direction !== "in" && direction !== "out")) {
    throw new ReaderSpecError(
      `--reader "${text}": expected in=<source> or out=<source>, e.g. in=usb:0c2e:0b61 or in=stdin`,
    );
  }
  const source = parseSourceText(text.slice(at + 1), text);
  let id = `reader-${direction}`;
  for (let n = 2; taken.includes(id); n++) id = `reader-${direction}-${n}`;
  return { id, direction, source };
}

function parseSourceText(text: string, whole: string): ReaderSource {
  const colon = text.indexOf(":");
  const kind = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? "" : text.slice(colon + 1);
  try {
    if (kind === "stdin" && rest === "") return { type: "stdin" };
    if (kind === "serial" && rest !== "") return { type: "serial", path: rest };
    if (kind === "usb") return { type: "serial-usb", ...parseUsbIds(rest) };
    if (kind === "hid") return { type: "hid", mode: "pos", ...parseUsbIds(rest) };
    if (kind === "hid-keyboard") return { type: "hid", mode: "keyboard", ...parseUsbIds(rest) };
    if (kind === "mqtt" && rest !== "") return { type: "mqtt", topic: rest };
  } catch (err) {
    throw new ReaderSpecError(`--reader "${whole}": ${err instanceof Error ? err.message : String(err)}`);
  }
  throw new ReaderSpecError(
    `--reader "${whole}": unknown source; use stdin, serial:PATH, usb:VID:PID, hid:VID:PID, hid-keyboard:VID:PID or mqtt:TOPIC`,
  );
}

/** The reader as it is written under `readers:` (defaults left out, so the file stays short). */
export function readerConfigOf(spec: ReaderSpec): Pick<ReaderConfig, "id" | "direction"> & {
  source: Record<string, unknown>;
} {
  const s = spec.source;
  const usb = (ids: { vendorId: string; productId?: string }) =>
    ids.productId === undefined
      ? { vendorId: ids.vendorId }
      : { vendorId: ids.vendorId, productId: ids.productId };
  const source: Record<string, unknown> =
    s.type === "stdin"
      ? { type: "stdin" }
      : s.type === "serial"
        ? { type: "serial", path: s.path, baudRate: 9600, terminator: "cr" }
        : s.type === "serial-usb"
          ? { type: "serial", usb: usb(s), baudRate: 9600, terminator: "cr" }
          : s.type === "hid"
            ? { type: "hid", mode: s.mode, usb: usb(s) }
            : { type: "mqtt", topic: s.topic, format: "tasmota" };
  return { id: spec.id, direction: spec.direction, source };
}
