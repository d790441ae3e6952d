import type { ScanRejection } from "./scan-source.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Turns the bytes of one scan into text, or says why it is refused: invalid UTF-8, or
 * control characters (ESC and friends are a known attack on keyboard-wedge hosts, and
 * no PG1 token contains them).
 */
export function scanText(bytes: Buffer): { text: string } | { rejected: ScanRejection } {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { rejected: "not_utf8" };
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(text)) return { rejected: "control_characters" };
  return { text };
}
