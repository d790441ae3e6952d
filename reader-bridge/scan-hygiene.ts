import { createHash } from "node:crypto";
import type { ScanRejection } from "./scan-source.js";

export interface ScanHygieneOptions {
  /** Longest scan text accepted, in UTF-8 bytes (as the device sent it). */
  readonly maxLength: number;
  /** At most `scans` delivered per `perMs` milliseconds (a sliding window); 0 = no limit. */
  readonly rateLimit: { readonly scans: number; readonly perMs: number };
  /**
   * The same text read again within this many ms of its previous read is dropped (a
   * scanner reads a phone screen several times per second). The window restarts on each
   * re-read, so a code held in front of the reader is decided once. 0 = off.
   */
  readonly duplicateWindowMs: number;
}

/**
 * The per-reader checks on text a source delivered: length, duplicate re-reads and rate.
 * Pure apart from its own state; `now` comes from the caller. Holds only a hash of the
 * last text, never the text itself.
 */
export class ScanHygiene {
  private readonly accepted: number[] = [];
  private lastDigest: string | undefined;
  private lastSeenAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: ScanHygieneOptions) {}

  /** Undefined when the scan may go on to the decision; else why it is dropped. */
  check(text: string, now: number): ScanRejection | undefined {
    if (Buffer.byteLength(text, "utf8") > this.options.maxLength) return "too_long";
    const digest = createHash("sha256").update(text).digest("base64");
    const window = this.options.duplicateWindowMs;
    const isRepeat = window > 0 && digest === this.lastDigest && now - this.lastSeenAt < window;
    this.lastDigest = digest;
    this.lastSeenAt = now;
    if (isRepeat) return "duplicate";
    const { scans, perMs } = this.options.rateLimit;
    if (scans > 0) {
      while (this.accepted.length > 0 && now - this.accepted[0]! >= perMs) this.accepted.shift();
      // A clock stepped back (NTP) leaves times in the future: they must not hold the
      // window full until the clock has caught up with them.
      while (this.accepted.length > 0 && this.accepted[this.accepted.length - 1]! > now) this.accepted.pop();
      if (this.accepted.length >= scans) return "rate_limited";
      this.accepted.push(now);
    }
    return undefined;
  }
}
