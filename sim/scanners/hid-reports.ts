import { POS_SCANNED_DATA_REPORT_ID } from "../../reader-bridge/hid-pos-decoder.js";
import { charToUsage, USAGE_ENTER } from "../../reader-bridge/hid-usage-table.js";

const LEFT_SHIFT = 0x02;
const BOOT_REPORT_BYTES = 8;

/** A boot keyboard report: modifiers, reserved, one key down (0: none). */
function bootReport(modifiers: number, usage: number): Buffer {
  const report = Buffer.alloc(BOOT_REPORT_BYTES);
  report[0] = modifiers;
  report[2] = usage;
  return report;
}

/**
 * Boot keyboard reports as a keyboard-wedge scanner sends them on a US layout: for each
 * character a press report (Shift held for capitals and shifted symbols) and an
 * all-keys-up report, so a doubled letter is two presses; Enter at the end unless
 * `enter: false`. Returns one report list per character (Enter counts as one), so a
 * sender can pace them as a scanner does.
 */
export function keyboardReportsPerChar(text: string, options: { enter?: boolean } = {}): Buffer[][] {
  const perChar: Buffer[][] = [];
  for (const ch of text) {
    const key = charToUsage(ch);
    if (key === undefined) throw new RangeError(`no US key types ${JSON.stringify(ch)}`);
    perChar.push([bootReport(key.shift ? LEFT_SHIFT : 0, key.usage), Buffer.alloc(BOOT_REPORT_BYTES)]);
  }
  if (options.enter !== false) perChar.push([bootReport(0, USAGE_ENTER), Buffer.alloc(BOOT_REPORT_BYTES)]);
  return perChar;
}

/** The same reports as one list. */
export function typeReports(text: string, options: { enter?: boolean } = {}): Buffer[] {
  return keyboardReportsPerChar(text, options).flat();
}

/** Data bytes per HID POS Scanned Data report of the 64-byte layout. */
export const POS_DATA_BYTES = 56;
const POS_REPORT_BYTES = 64;
/** AIM symbology identifier for QR Code (ISO/IEC 15424). */
const AIM_QR = "]Q1";

/**
 * HID POS Scanned Data reports carrying `data`, 56 data bytes per 64-byte report, the
 * last byte's bit 0 set on every report but the last (`last: false` keeps it set on the
 * last one too: a code cut off mid-way).
 */
export function posReports(data: Buffer, options: { last?: boolean } = {}): Buffer[] {
  const reports: Buffer[] = [];
  for (let offset = 0; offset < data.length || offset === 0; offset += POS_DATA_BYTES) {
    const part = data.subarray(offset, offset + POS_DATA_BYTES);
    const report = Buffer.alloc(POS_REPORT_BYTES);
    report[0] = POS_SCANNED_DATA_REPORT_ID;
    report[1] = part.length;
    report.write(AIM_QR, 2, "ascii");
    part.copy(report, 5);
    const more = offset + POS_DATA_BYTES < data.length || options.last === false;
    report[POS_REPORT_BYTES - 1] = more ? 0x01 : 0x00;
    reports.push(report);
    if (data.length === 0) break;
  }
  return reports;
}
