/** One scan as a reader delivered it, terminator already stripped. */
export interface Scan {
  /** The configured reader id. */
  readonly reader: string;
  /** The exact scan text. A live token: never log, store or publish it. */
  readonly text: string;
  /** Epoch ms when the scan was received. */
  readonly at: number;
}

/** Why a source dropped input instead of delivering it. */
export type ScanRejection = "too_long" | "control_characters" | "not_utf8";

export interface ScanSourceEvents {
  scan(scan: Scan): void;
  /** Input that was not delivered; counted and logged by the caller, never the text itself. */
  rejected(reader: string, reason: ScanRejection): void;
}

/**
 * Where scans come from: a serial, HID or firmware reader, stdin, or a fake.
 *
 * Every implementation must: deliver each scan once, with only its terminator removed
 * (PG1 text may begin or end with a space); bound the memory it uses whatever the
 * device sends, rejecting oversized input; never throw from `start` because a device
 * is missing (report it and keep trying); and stop delivering once `stop` resolves.
 */
export interface ScanSource {
  readonly id: string;
  start(events: ScanSourceEvents): Promise<void>;
  stop(): Promise<void>;
}
