import { describe, expect, it } from "vitest";
import {
  bytesOf,
  hidOptions,
  hygieneOptions,
  mqttOptions,
  serialOptions,
} from "../reader-bridge/reader-options.js";
import { configSchema } from "./schema.js";

function parse(source: unknown, extra: object = {}) {
  return configSchema.safeParse({
    site: "s",
    gate: "g",
    timezone: "UTC",
    readers: [{ id: "r", direction: "in", source }],
    ...extra,
  });
}

function sourceOf(source: unknown, extra: object = {}) {
  const result = parse(source, extra);
  if (!result.success) throw new Error(JSON.stringify(result.error.issues));
  return result.data.readers[0]!.source;
}

describe("reader source schema", () => {
  it("keeps `{ type: stdin }` working, with rate limit and duplicate suppression off", () => {
    expect(sourceOf({ type: "stdin" })).toEqual({
      type: "stdin",
      maxLength: 512,
      rateLimit: { scans: 0, per: 1000 },
      duplicateWindow: 0,
    });
  });

  it("turns a serial config into adapter options: usb ids, terminator bytes, affixes, feedback, hygiene", () => {
    const source = sourceOf({
      type: "serial",
      usb: { vendorId: "0C2E", productId: "0b61", serialNumber: "SN1" },
      terminator: { hex: "0304" },
      prefix: "]Q1",
      feedback: { granted: { hex: "1b4231" }, denied: "\u0007" },
    });
    if (source.type !== "serial") throw new Error("not serial");
    const options = serialOptions(source);
    expect(options.device).toEqual({ vendorId: "0C2E", productId: "0b61", serialNumber: "SN1" });
    expect(options.terminator).toEqual(Buffer.from([3, 4]));
    expect(options.prefix).toEqual(Buffer.from("]Q1"));
    expect(options.maxBytes).toBe(515);
    expect(options.feedback).toEqual({ granted: Buffer.from([0x1b, 0x42, 0x31]), denied: Buffer.from([7]) });
    expect(hygieneOptions(source)).toEqual({
      maxLength: 512,
      rateLimit: { scans: 5, perMs: 1000 },
      duplicateWindowMs: 3000,
    });
    for (const [name, bytes] of [
      ["cr", "\r"],
      ["lf", "\n"],
      ["crlf", "\r\n"],
    ] as const) {
      const s = sourceOf({ type: "serial", path: "/dev/x", terminator: name });
      if (s.type === "serial") expect(serialOptions(s).terminator).toEqual(Buffer.from(bytes));
    }
  });

  it("turns hid and mqtt configs into adapter options", () => {
    const hid = sourceOf({ type: "hid", mode: "keyboard", usb: { vendorId: "0c2e" }, reportId: 1 });
    if (hid.type === "hid")
      expect(hidOptions(hid)).toMatchObject({ device: { vendorId: 0x0c2e }, mode: "keyboard", reportId: 1 });
    const mqtt = sourceOf(
      { type: "mqtt", topic: "esp/scan", format: "json", field: "scan.text" },
      { mqtt: { url: "mqtt://127.0.0.1:1883" } },
    );
    if (mqtt.type === "mqtt")
      expect(mqttOptions(mqtt)).toMatchObject({
        topic: "esp/scan",
        form: { format: "json", field: "scan.text" },
      });
    expect(bytesOf("\u001bB")).toEqual(Buffer.from([0x1b, 0x42]));
  });

  it.each([
    [{ type: "serial" }, "readers.0.source.path", /exactly one of `path` or `usb`/],
    [{ type: "serial", path: "/dev/x", usb: { vendorId: "0c2e" } }, "readers.0.source.path", /exactly one/],
    [{ type: "serial", path: "/dev/x", terminator: "none" }, "readers.0.source.interByteTimeout", /needs/],
    [{ type: "serial", path: "/dev/x", usb: undefined, baudRate: 1 }, "readers.0.source.baudRate", /./],
    [{ type: "hid", mode: "pos", usb: { vendorId: "c2e" } }, "readers.0.source.usb.vendorId", /4 hex digits/],
    [{ type: "mqtt", topic: "tele/+/RESULT" }, "readers.0.source.topic", /without wildcards/],
    [{ type: "mqtt", topic: "a", format: "json" }, "readers.0.source.field", /required with format json/],
    [{ type: "serial", path: "/dev/x", prefix: { hex: "zz" } }, "readers.0.source.prefix", /./],
  ])("refuses %j at %s", (source, path, message) => {
    const result = parse(source, { mqtt: { url: "mqtt://127.0.0.1:1883" } });
    expect(result.success).toBe(false);
    const issue = result.error?.issues.find((i) => i.path.join(".").startsWith(path));
    expect(issue, JSON.stringify(result.error?.issues)).toBeDefined();
    expect(issue?.message).toMatch(message);
  });

  it("refuses an mqtt reader without the `mqtt:` broker section", () => {
    const result = parse({ type: "mqtt", topic: "tele/r/RESULT" });
    expect(result.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["readers.0.source.type", "an mqtt reader needs the broker configured under `mqtt:`"],
    ]);
  });
});
