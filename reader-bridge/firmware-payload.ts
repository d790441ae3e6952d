import type { ScanRejection } from "./scan-source.js";

/** How a firmware reader wraps a scan in its MQTT payload. */
export type FirmwarePayloadForm =
  | { readonly format: "tasmota" }
  | { readonly format: "raw" }
  | { readonly format: "json"; readonly field: string };

/** Largest payload parsed as JSON: far above any scan, small enough to parse safely. */
export const MAX_JSON_PAYLOAD_BYTES = 16 * 1024;

/**
 * Takes the scan bytes out of one firmware payload, before any text checks. Tasmota's
 * serial bridge publishes `{"SerialReceived":"…"}` (hardware serial) or
 * `{"SSerialReceived":"…"}` (software serial) on tele/<topic>/RESULT; ESPHome-style and
 * custom firmware put the text at a JSON field path. The payload is never evaluated
 * beyond JSON.parse, and only after its size is checked.
 */
export function firmwareScanBytes(
  payload: Buffer,
  form: FirmwarePayloadForm,
  maxBytes: number,
): { bytes: Buffer } | { rejected: ScanRejection } | { ignored: true } {
  if (form.format === "raw") {
    if (payload.length > maxBytes + 2) return { rejected: "too_long" };
    return { bytes: stripOneLineEnd(payload) };
  }
  if (payload.length > Math.max(MAX_JSON_PAYLOAD_BYTES, maxBytes * 6 + 64)) return { rejected: "too_long" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString("utf8"));
  } catch {
    return { rejected: "framing" };
  }
  let value: unknown;
  if (form.format === "tasmota") {
    if (!isRecord(parsed)) return { rejected: "framing" };
    // RESULT also carries replies to commands (POWER, Dimmer…): those are not scans.
    if (Object.hasOwn(parsed, "SerialReceived")) value = parsed.SerialReceived;
    else if (Object.hasOwn(parsed, "SSerialReceived")) value = parsed.SSerialReceived;
    else return { ignored: true };
  } else {
    value = parsed;
    for (const key of form.field.split(".")) {
      value = isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined;
    }
  }
  if (typeof value !== "string") return { rejected: "framing" };
  // JSON cannot carry invalid UTF-8 as such: a lone surrogate escape ("\ud800") is the equivalent.
  // In a /u regex a valid pair is one code point, so \p{Cs} matches only a lone half.
  if (/\p{Cs}/u.test(value)) return { rejected: "not_utf8" };
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > maxBytes + 2) return { rejected: "too_long" };
  return { bytes: stripOneLineEnd(bytes) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Firmware may forward the scanner's own terminator: one trailing CRLF, CR or LF is not data. */
function stripOneLineEnd(b: Buffer): Buffer {
  if (b.length >= 2 && b[b.length - 2] === 0x0d && b[b.length - 1] === 0x0a) return b.subarray(0, -2);
  if (b.length >= 1 && (b[b.length - 1] === 0x0d || b[b.length - 1] === 0x0a)) return b.subarray(0, -1);
  return b;
}
