import type { ScanRejection } from "./scan-source.js";
import { scanText } from "./scan-text.js";

/** Bytes a scanner is set to add around each code; removed before the text is checked. */
export interface FrameAffixes {
  readonly prefix?: Buffer;
  readonly suffix?: Buffer;
}

/**
 * Turns one frame (terminator already removed) into scan text: strips the configured
 * prefix and suffix, then checks UTF-8 and control characters. A frame missing a
 * configured affix is refused as `framing`: it is a partial or foreign read.
 */
export function frameText(
  frame: Buffer,
  affixes: FrameAffixes,
): { text: string } | { rejected: ScanRejection } {
  let body = frame;
  const { prefix, suffix } = affixes;
  if (prefix !== undefined && prefix.length > 0) {
    if (!body.subarray(0, prefix.length).equals(prefix)) return { rejected: "framing" };
    body = body.subarray(prefix.length);
  }
  if (suffix !== undefined && suffix.length > 0) {
    if (body.length < suffix.length || !body.subarray(body.length - suffix.length).equals(suffix))
      return { rejected: "framing" };
    body = body.subarray(0, body.length - suffix.length);
  }
  return scanText(body);
}
