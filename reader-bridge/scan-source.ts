/** One scan as a reader delivered it, terminator already stripped. */
export interface Scan {
  /** The configured reader id. */
  readonly reader: string;
  /** The exact scan text. A live token: never log, store or publish it. */
  readonly text: string;
  /** Epoch ms when the scan was received (by a reader bridge: when its scanner delivered it). */
  readonly at: number;
  /** A scan a reader bridge sent: who signed it, its sequence number, how old it may be when decided. */
  readonly bridge?: { readonly member: string; readonly seq: number; readonly maxAgeMs: number } | undefined;
}

/**
 * Why input was dropped instead of delivered. The first three come from the sources
 * themselves; `framing` when a configured prefix/suffix or a payload's form is wrong;
 * `rate_limited` and `duplicate` from the per-reader hygiene filter (scan-hygiene.ts).
 */
export const SCAN_REJECTIONS = [
  "too_long",
  "control_characters",
  "not_utf8",
  "framing",
  "rate_limited",
  "duplicate",
] as const;
export type ScanRejection = (typeof SCAN_REJECTIONS)[number];

/** Connection state of a device-backed reader. */
export type ReaderState = "connecting" | "connected" | "disconnected";

export interface ScanSourceEvents {
  scan(scan: Scan): void;
  /** Input that was not delivered; counted and logged by the caller, never the text itself. */
  rejected(reader: string, reason: ScanRejection): void;
  /** A device-backed source reports each change of its connection state; stdin never does. */
  state?(reader: string, state: ReaderState): void;
}

/** What the person at the turnstile is told after a decision. */
export type FeedbackResult = "granted" | "denied";

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
  /**
   * Tells the reader's own beeper/LED the result, where the reader takes commands. Never
   * rejects: a reader that is away just misses the feedback.
   */
  feedback?(result: FeedbackResult): Promise<void>;
}
