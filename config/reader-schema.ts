import { z } from "zod";
import { durationSchema } from "./duration-schema.js";

/**
 * The `source:` of a reader (docs/readers.md): stdin, a serial port, a HID device or a
 * firmware reader over MQTT, each with the input hygiene limits that apply to it.
 * Byte strings (terminators, prefixes, beep commands) are written as YAML strings, where
 * double quotes allow escapes such as "\r" or "\x1b" (sent as UTF-8, so bytes from 0x80 up
 * need hex), or as `{ hex: "1b4231" }`; they stay in that form here and become bytes in
 * reader-bridge/reader-options.ts.
 */

export const byteStringSchema = z.union(
  [
    z.string().min(1).max(64),
    z.strictObject({
      hex: z.string().regex(/^([0-9a-fA-F]{2}){1,64}$/, "expected 1 to 64 bytes as hex digit pairs"),
    }),
  ],
  { error: 'expected a string such as "\\x1bB1" or { hex: "1b4231" }' },
);
export type ByteString = z.infer<typeof byteStringSchema>;

const usbHex = (what: string) =>
  z.string().regex(/^[0-9a-fA-F]{4}$/, `expected the USB ${what} as 4 hex digits, e.g. 0c2e`);

/** A USB device by ids: stable across re-enumeration, unlike /dev/ttyACM<n>. */
const usbMatchSchema = z.strictObject({
  vendorId: usbHex("vendor id"),
  productId: usbHex("product id").optional(),
  /** Tells two readers of the same model apart. */
  serialNumber: z.string().min(1).optional(),
});

/**
 * Input hygiene, per reader. The defaults differ for stdin (used to pipe test and
 * benchmark tokens, where repeats and bursts are intended) and for devices.
 */
function hygieneFields(device: boolean) {
  return {
    /** Longest scan accepted, in bytes; a PG1 token is at most 512 characters. */
    maxLength: z.number().int().min(1).max(4096).default(512),
    /** At most `scans` per `per`; scans: 0 turns the limit off. */
    rateLimit: z
      .strictObject({
        scans: z
          .number()
          .int()
          .min(0)
          .max(1000)
          .default(device ? 5 : 0),
        per: durationSchema.prefault("1s"),
      })
      .prefault({}),
    /** The same code re-read within this time is dropped once; 0ms turns it off. */
    duplicateWindow: durationSchema.prefault(device ? "3s" : "0ms"),
  };
}

const framingFields = {
  /** Bytes the scanner is set to send before each code, removed; a frame without them is refused. */
  prefix: byteStringSchema.optional(),
  /** Bytes the scanner is set to send after each code (before the terminator), removed likewise. */
  suffix: byteStringSchema.optional(),
};

export const stdinSourceSchema = z.strictObject({ type: z.literal("stdin"), ...hygieneFields(false) });

export const serialSourceSchema = z
  .strictObject({
    type: z.literal("serial"),
    /** A fixed port path such as /dev/ttyACM0 or /dev/serial/by-id/…; or use `usb`. */
    path: z.string().min(1).optional(),
    usb: usbMatchSchema.optional(),
    baudRate: z.number().int().min(300).max(4_000_000).default(9600),
    /** What ends a scan: cr, lf, crlf, custom bytes, or none (then set interByteTimeout). */
    terminator: z.union([z.enum(["cr", "lf", "crlf", "none"]), byteStringSchema]).default("cr"),
    /** A pause this long after the last byte ends a scan; for scanners that send no terminator. */
    interByteTimeout: durationSchema.optional(),
    ...framingFields,
    /**
     * Commands written to the scanner each time it connects, in order: e.g. set its suffix
     * to CR, turn off configuration by barcode (a printed barcode must not reconfigure it).
     * docs/bridge.md has examples per scanner family.
     */
    setup: z.array(byteStringSchema).max(16).optional(),
    /** Beep/LED commands written to the reader after a decision. */
    feedback: z
      .strictObject({ granted: byteStringSchema.optional(), denied: byteStringSchema.optional() })
      .optional(),
    ...hygieneFields(true),
  })
  .refine((s) => (s.path === undefined) !== (s.usb === undefined), {
    message: "expected exactly one of `path` or `usb`",
    path: ["path"],
  })
  .refine((s) => s.terminator !== "none" || s.interByteTimeout !== undefined, {
    message: "a reader without terminator needs `interByteTimeout`",
    path: ["interByteTimeout"],
  });

export const hidSourceSchema = z
  .strictObject({
    type: z.literal("hid"),
    /** keyboard: a keyboard-wedge scanner (boot keyboard reports); pos: HID POS (usage page 0x8C). */
    mode: z.enum(["keyboard", "pos"]),
    /** A hidraw path such as /dev/hidraw3; or use `usb`. */
    path: z.string().min(1).optional(),
    usb: usbMatchSchema.optional(),
    /** Set when the device prefixes its reports with a report id (keyboard mode). */
    reportId: z.number().int().min(1).max(255).optional(),
    ...framingFields,
    ...hygieneFields(true),
  })
  .refine((s) => (s.path === undefined) !== (s.usb === undefined), {
    message: "expected exactly one of `path` or `usb`",
    path: ["path"],
  });

export const mqttSourceSchema = z
  .strictObject({
    type: z.literal("mqtt"),
    /** The exact topic the firmware publishes scans on, e.g. tele/reader-in/RESULT (no wildcards). */
    topic: z
      .string()
      .min(1)
      .regex(/^[^+#]+$/, "expected a topic without wildcards"),
    /**
     * tasmota: {"SerialReceived": "…"} or {"SSerialReceived": "…"} (Tasmota's serial bridge);
     * raw: the payload is the scan; json: the string at `field` (a dotted path).
     */
    format: z.enum(["tasmota", "raw", "json"]).default("tasmota"),
    field: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, "expected a dotted field path such as scan.text")
      .optional(),
    ...framingFields,
    ...hygieneFields(true),
  })
  .refine((s) => (s.format === "json") === (s.field !== undefined), {
    message: "`field` is required with format json, and only then",
    path: ["field"],
  });

/**
 * A reader beside a turnstile, read by a reader bridge (`passgate bridge`) that signs each
 * scan: the gate takes scans for this reader only from an active bridge of its roster whose
 * `readers` name it, on `<prefix>/<site>/<gate>/reader/<id>/scan` (docs/trust.md).
 */
export const bridgeSourceSchema = z.strictObject({
  type: z.literal("bridge"),
  ...hygieneFields(true),
});

export const readerSourceSchema = z.discriminatedUnion("type", [
  stdinSourceSchema,
  serialSourceSchema,
  hidSourceSchema,
  mqttSourceSchema,
  bridgeSourceSchema,
]);
export type ReaderSourceConfig = z.infer<typeof readerSourceSchema>;
export type SerialSourceConfig = z.infer<typeof serialSourceSchema>;
export type HidSourceConfig = z.infer<typeof hidSourceSchema>;
export type MqttSourceConfig = z.infer<typeof mqttSourceSchema>;
export type BridgeSourceConfig = z.infer<typeof bridgeSourceSchema>;

/** Cross-field checks of the readers that need the whole config; called from schema.ts. */
export function checkReaderSources(
  config: { mqtt?: unknown; readers: readonly { source: ReaderSourceConfig }[] },
  ctx: z.core.$RefinementCtx,
): void {
  config.readers.forEach((reader, i) => {
    if ((reader.source.type === "mqtt" || reader.source.type === "bridge") && config.mqtt === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `${reader.source.type === "mqtt" ? "an mqtt" : "a bridge"} reader needs the broker configured under \`mqtt:\``,
        path: ["readers", i, "source", "type"],
      });
    }
  });
}
