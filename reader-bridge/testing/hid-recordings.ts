/** Parses a recording written as lines of hex bytes ("02 00 13 00 00 00 00 00"). */
export function hexLines(recording: string): Buffer[] {
  return recording
    .trim()
    .split("\n")
    .map((line) => Buffer.from(line.replace(/\s+/g, ""), "hex"));
}
