import type { BridgeReaderConfig } from "../../config/bridge-schema.js";

/**
 * A reader as `passgate bridge init --reader` takes it: `ID:DIRECTION:SOURCE`, SOURCE one of
 * `stdin`, `serial:/dev/ttyACM0`, `serial-usb:VID[:PID]`, `hid-pos:VID[:PID]`,
 * `hid-keyboard:VID[:PID]` (USB ids as 4 hex digits, as `passgate reader list` prints them).
 * The config file then holds the reader's full options (docs/readers.md) to edit further.
 */
export function parseReaderSpec(spec: string): BridgeReaderConfig {
  const [id, direction, kind, ...rest] = spec.split(":");
  const bad = (why: string) =>
    new Error(
      `--reader ${JSON.stringify(spec)}: ${why} (expected ID:DIRECTION:SOURCE, e.g. in:in:serial-usb:0c2e:0b61)`,
    );
  if (id === undefined || id === "" || kind === undefined) throw bad("missing parts");
  if (direction !== "in" && direction !== "out") throw bad("the direction is in or out");
  const usb = () => {
    const [vendorId, productId] = rest;
    if (vendorId === undefined || !/^[0-9a-fA-F]{4}$/.test(vendorId))
      throw bad("a USB vendor id is 4 hex digits");
    if (productId !== undefined && !/^[0-9a-fA-F]{4}$/.test(productId))
      throw bad("a USB product id is 4 hex digits");
    return { vendorId, ...(productId === undefined ? {} : { productId }) };
  };
  switch (kind) {
    case "stdin":
      return { id, direction, source: { type: "stdin" } } as BridgeReaderConfig;
    case "serial": {
      const path = rest.join(":");
      if (path === "") throw bad("serial needs a device path");
      return { id, direction, source: { type: "serial", path } } as BridgeReaderConfig;
    }
    case "serial-usb":
      return { id, direction, source: { type: "serial", usb: usb() } } as BridgeReaderConfig;
    case "hid-pos":
      return { id, direction, source: { type: "hid", mode: "pos", usb: usb() } } as BridgeReaderConfig;
    case "hid-keyboard":
      return { id, direction, source: { type: "hid", mode: "keyboard", usb: usb() } } as BridgeReaderConfig;
    default:
      throw bad(`unknown source ${kind}`);
  }
}
