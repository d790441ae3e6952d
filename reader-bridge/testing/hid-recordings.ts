import { charToUsage, USAGE_ENTER } from "../hid-usage-table.js";

/**
 * Boot keyboard reports as a keyboard-wedge scanner sends them: for each character a
 * press report (modifier, reserved, key) and a release report; Enter at the end.
 */
export function typeReports(text: string, options: { enter?: boolean } = {}): Buffer[] {
  const reports: Buffer[] = [];
  for (const ch of text) {
    const key = charToUsage(ch);
    if (key === undefined) throw new Error(`no US key types ${JSON.stringify(ch)}`);
    reports.push(Buffer.from([key.shift ? 0x02 : 0x00, 0, key.usage, 0, 0, 0, 0, 0]));
    reports.push(Buffer.alloc(8));
  }
  if (options.enter !== false) reports.push(Buffer.from([0, 0, USAGE_ENTER, 0, 0, 0, 0, 0]), Buffer.alloc(8));
  return reports;
}

/** HID POS Scanned Data reports carrying `data`, 56 data bytes per 64-byte report. */
export function posReports(data: Buffer, options: { last?: boolean } = {}): Buffer[] {
  const reports: Buffer[] = [];
  const size = 56;
  for (let offset = 0; offset < data.length || offset === 0; offset += size) {
    const part = data.subarray(offset, offset + size);
    const report = Buffer.alloc(64);
    report[0] = 0x02;
    report[1] = part.length;
    report.write("]Q1", 2, "ascii");
    part.copy(report, 5);
    const more = offset + size < data.length || options.last === false;
    report[63] = more ? 0x01 : 0x00;
    reports.push(report);
    if (data.length === 0) break;
  }
  return reports;
}

/** Parses a recording written as lines of hex bytes ("02 00 13 00 00 00 00 00"). */
export function hexLines(recording: string): Buffer[] {
  return recording
    .trim()
    .split("\n")
    .map((line) => Buffer.from(line.replace(/\s+/g, ""), "hex"));
}
