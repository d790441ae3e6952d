import type { ReaderConfig } from "../../config/schema.js";
import type { ListedReader } from "../../reader-bridge/reader-listing.js";

/** The configured reader that a device present is (by path or USB ids), if any. */
export function configuredReaderFor(
  device: ListedReader,
  readers: readonly ReaderConfig[],
): string | undefined {
  const found = readers.find((r) => {
    const s = r.source;
    if (s.type !== device.kind) return false;
    if (s.path !== undefined) return s.path === device.path;
    const usb = s.usb;
    if (usb === undefined || device.vendorId === undefined) return false;
    return (
      usb.vendorId.toLowerCase() === device.vendorId &&
      (usb.productId === undefined || usb.productId.toLowerCase() === device.productId) &&
      (usb.serialNumber === undefined || usb.serialNumber === device.serialNumber)
    );
  });
  return found?.id;
}

/** Where a reader's scans come from, in a few words: `serial usb 0c2e:0b61`, `mqtt tele/x/RESULT`. */
export function describeReaderSource(reader: ReaderConfig): string {
  const s = reader.source;
  switch (s.type) {
    case "stdin":
      return "stdin";
    case "mqtt":
      return `mqtt ${s.topic}`;
    case "bridge":
      return "reader bridge";
    case "serial":
    case "hid": {
      const kind = s.type === "hid" ? `hid ${s.mode}` : "serial";
      if (s.path !== undefined) return `${kind} ${s.path}`;
      return `${kind} usb ${s.usb?.vendorId}${s.usb?.productId === undefined ? "" : `:${s.usb.productId}`}`;
    }
  }
}
