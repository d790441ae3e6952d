import type { HidDeviceInfo } from "./hid-system.js";
import type { SerialPortInfo } from "./serial-system.js";

/** A device `passgate readers list` shows, with the config to paste under `readers:`. */
export interface ListedReader {
  readonly kind: "serial" | "hid";
  readonly path: string;
  readonly vendorId?: string;
  readonly productId?: string;
  readonly serialNumber?: string;
  readonly description: string;
  /** For HID: keyboard (usage page 0x01) or pos (barcode scanner page 0x8C), when the OS says. */
  readonly mode?: "keyboard" | "pos";
  /** An on-board serial port (/dev/ttyS*): every PC lists some, and a scanner is rarely one. */
  readonly onBoard?: true;
  readonly snippet: string;
}

/** The motherboard's UARTs: listed whether or not anything is wired to them. */
export function isOnBoardPort(path: string): boolean {
  return /^\/dev\/ttyS\d+$/.test(path);
}

/** `reader-in`, or `reader-in-2`, `reader-in-3`… when the config already uses it. */
export function freeReaderId(taken: readonly string[]): string {
  if (!taken.includes("reader-in")) return "reader-in";
  let n = 2;
  while (taken.includes(`reader-in-${n}`)) n++;
  return `reader-in-${n}`;
}

const hex4 = (n: number) => n.toString(16).padStart(4, "0");

function usbLines(vendorId?: string, productId?: string, serialNumber?: string): string[] {
  const lines = [`      usb: { vendorId: "${vendorId}"`];
  if (productId !== undefined) lines[0] += `, productId: "${productId}"`;
  if (serialNumber !== undefined) lines[0] += `, serialNumber: ${JSON.stringify(serialNumber)}`;
  lines[0] += " }";
  return lines;
}

/**
 * Serial ports and HID devices as listed, each with a config snippet; USB ids where known.
 * The snippets use a reader id that is not in `takenIds` (the config's readers). Scanners
 * come first, on-board serial ports last.
 */
export function listReaders(
  ports: readonly SerialPortInfo[],
  hids: readonly HidDeviceInfo[],
  takenIds: readonly string[] = [],
): ListedReader[] {
  const out: ListedReader[] = [];
  const id = freeReaderId(takenIds);
  for (const p of ports) {
    const vendorId = p.vendorId?.toLowerCase();
    const productId = p.productId?.toLowerCase();
    const device =
      vendorId !== undefined ? usbLines(vendorId, productId, p.serialNumber) : [`      path: ${p.path}`];
    out.push({
      kind: "serial",
      path: p.path,
      ...(vendorId === undefined ? {} : { vendorId }),
      ...(productId === undefined ? {} : { productId }),
      ...(p.serialNumber === undefined ? {} : { serialNumber: p.serialNumber }),
      description: p.manufacturer ?? "",
      ...(isOnBoardPort(p.path) ? { onBoard: true as const } : {}),
      snippet: [
        `  - id: ${id}`,
        "    direction: in",
        "    source:",
        "      type: serial",
        ...device,
        "      baudRate: 9600",
        "      terminator: cr",
      ].join("\n"),
    });
  }
  for (const h of hids) {
    if (h.path === undefined) continue;
    const vendorId = hex4(h.vendorId);
    const productId = hex4(h.productId);
    const mode =
      h.usagePage === 0x8c ? "pos" : h.usagePage === 0x01 && h.usage === 0x06 ? "keyboard" : undefined;
    const serialNumber = h.serialNumber === undefined || h.serialNumber === "" ? undefined : h.serialNumber;
    out.push({
      kind: "hid",
      path: h.path,
      vendorId,
      productId,
      ...(serialNumber === undefined ? {} : { serialNumber }),
      description: [h.manufacturer, h.product].filter((s) => s !== undefined && s !== "").join(" "),
      ...(mode === undefined ? {} : { mode }),
      snippet: [
        `  - id: ${id}`,
        "    direction: in",
        "    source:",
        "      type: hid",
        `      mode: ${mode ?? "pos"}`,
        ...usbLines(vendorId, productId, serialNumber),
      ].join("\n"),
    });
  }
  // A stable sort: the order the OS gave, with the on-board ports moved to the end.
  return out.sort((a, b) => Number(a.onBoard === true) - Number(b.onBoard === true));
}

/** A scan as a person may see it: its first 4 characters and its length, never the whole token. */
export function maskScan(text: string): string {
  const head = [...text].slice(0, 4).join("");
  return `${JSON.stringify(head).slice(0, -1)}…" (${text.length} chars)`;
}
