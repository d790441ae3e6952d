import type {
  ByteString,
  HidSourceConfig,
  MqttSourceConfig,
  ReaderSourceConfig,
  SerialSourceConfig,
} from "../config/reader-schema.js";
import type { FirmwarePayloadForm } from "./firmware-payload.js";
import type { HidReaderOptions } from "./hid-scan-source.js";
import type { MqttReaderOptions } from "./mqtt-scan-source.js";
import type { ScanHygieneOptions } from "./scan-hygiene.js";
import type { SerialReaderOptions } from "./serial-scan-source.js";

/** A configured byte string as bytes: a YAML string as UTF-8 (escapes already applied), or hex. */
export function bytesOf(value: ByteString): Buffer {
  return typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value.hex, "hex");
}

const TERMINATORS = { cr: "\r", lf: "\n", crlf: "\r\n", none: "" } as const;

function affixes(config: { prefix?: ByteString | undefined; suffix?: ByteString | undefined }) {
  return {
    ...(config.prefix === undefined ? {} : { prefix: bytesOf(config.prefix) }),
    ...(config.suffix === undefined ? {} : { suffix: bytesOf(config.suffix) }),
  };
}

/** Frames carry the affixes too, so the byte bound leaves room for them. */
function frameBytes(config: SerialSourceConfig | HidSourceConfig | MqttSourceConfig): number {
  const a = affixes(config);
  return config.maxLength + (a.prefix?.length ?? 0) + (a.suffix?.length ?? 0);
}

export function hygieneOptions(config: ReaderSourceConfig): ScanHygieneOptions {
  return {
    maxLength: config.maxLength,
    rateLimit: { scans: config.rateLimit.scans, perMs: config.rateLimit.per },
    duplicateWindowMs: config.duplicateWindow,
  };
}

export function serialOptions(config: SerialSourceConfig): SerialReaderOptions {
  const t = config.terminator;
  const feedback: Partial<Record<"granted" | "denied", Buffer>> = {};
  if (config.feedback?.granted !== undefined) feedback.granted = bytesOf(config.feedback.granted);
  if (config.feedback?.denied !== undefined) feedback.denied = bytesOf(config.feedback.denied);
  return {
    device:
      config.usb !== undefined
        ? {
            vendorId: config.usb.vendorId,
            ...(config.usb.productId === undefined ? {} : { productId: config.usb.productId }),
            ...(config.usb.serialNumber === undefined ? {} : { serialNumber: config.usb.serialNumber }),
          }
        : { path: config.path ?? "" },
    baudRate: config.baudRate,
    terminator:
      typeof t === "string" && Object.hasOwn(TERMINATORS, t)
        ? Buffer.from(TERMINATORS[t as keyof typeof TERMINATORS])
        : bytesOf(t),
    ...(config.interByteTimeout === undefined ? {} : { interByteTimeoutMs: config.interByteTimeout }),
    maxBytes: frameBytes(config),
    feedback,
    ...(config.setup === undefined ? {} : { setup: config.setup.map(bytesOf) }),
    ...affixes(config),
  };
}

export function hidOptions(config: HidSourceConfig): HidReaderOptions {
  return {
    device:
      config.usb !== undefined
        ? {
            vendorId: Number.parseInt(config.usb.vendorId, 16),
            ...(config.usb.productId === undefined
              ? {}
              : { productId: Number.parseInt(config.usb.productId, 16) }),
            ...(config.usb.serialNumber === undefined ? {} : { serialNumber: config.usb.serialNumber }),
          }
        : { path: config.path ?? "" },
    mode: config.mode,
    ...(config.reportId === undefined ? {} : { reportId: config.reportId }),
    maxBytes: frameBytes(config),
    ...affixes(config),
  };
}

export function mqttOptions(config: MqttSourceConfig): MqttReaderOptions {
  const form: FirmwarePayloadForm =
    config.format === "json" ? { format: "json", field: config.field ?? "" } : { format: config.format };
  return { topic: config.topic, form, maxBytes: frameBytes(config), ...affixes(config) };
}
