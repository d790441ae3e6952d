import { describe, expect, it } from "vitest";
import { typeReports } from "../sim/scanners/hid-reports.js";
import { KeyboardReportDecoder } from "./hid-keyboard-decoder.js";
import { hexLines } from "./testing/hid-recordings.js";

function decode(reports: Buffer[], options: { maxBytes?: number; reportId?: number } = {}) {
  const frames: string[] = [];
  const problems: string[] = [];
  const decoder = new KeyboardReportDecoder({
    maxBytes: options.maxBytes ?? 512,
    ...(options.reportId === undefined ? {} : { reportId: options.reportId }),
    onFrame: (f) => frames.push(f.toString("ascii")),
    onOversized: () => problems.push("too_long"),
    onBadKey: () => problems.push("bad_key"),
  });
  for (const r of reports) decoder.push(r);
  return { frames, problems };
}

const BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

describe("KeyboardReportDecoder", () => {
  it("decodes a recorded keyboard-wedge scan of 'PG1:A 0' (press/release pairs, Shift for capitals and ':')", () => {
    const recording = `
      02 00 13 00 00 00 00 00
      00 00 00 00 00 00 00 00
      02 00 0a 00 00 00 00 00
      00 00 00 00 00 00 00 00
      00 00 1e 00 00 00 00 00
      00 00 00 00 00 00 00 00
      20 00 33 00 00 00 00 00
      00 00 00 00 00 00 00 00
      02 00 04 00 00 00 00 00
      00 00 00 00 00 00 00 00
      00 00 2c 00 00 00 00 00
      00 00 00 00 00 00 00 00
      00 00 27 00 00 00 00 00
      00 00 00 00 00 00 00 00
      00 00 28 00 00 00 00 00
      00 00 00 00 00 00 00 00`;
    expect(decode(hexLines(recording)).frames).toEqual(["PG1:A 0"]);
  });

  it("decodes every base45 character, whatever the host's layout (the table is fixed US usages)", () => {
    const { frames, problems } = decode(typeReports(`PG1:${BASE45}`));
    expect(problems).toEqual([]);
    expect(frames).toEqual([`PG1:${BASE45}`]);
  });

  it("decodes every shifted and unshifted printable US character", () => {
    const all = "abcdefghijklmnopqrstuvwxyz!@#$%^&*()_+{}|:\"~<>?-=[]\\;',./`";
    expect(decode(typeReports(all)).frames).toEqual([all]);
  });

  it("applies Caps Lock to letters only, inverted by Shift", () => {
    const caps = [Buffer.from([0, 0, 0x39, 0, 0, 0, 0, 0]), Buffer.alloc(8)];
    const reports = [
      ...caps,
      Buffer.from([0, 0, 0x04, 0, 0, 0, 0, 0]), // a → A
      Buffer.alloc(8),
      Buffer.from([0x02, 0, 0x05, 0, 0, 0, 0, 0]), // Shift+b → b
      Buffer.alloc(8),
      Buffer.from([0, 0, 0x1f, 0, 0, 0, 0, 0]), // 2 stays 2
      Buffer.alloc(8),
      ...caps,
      Buffer.from([0, 0, 0x06, 0, 0, 0, 0, 0]), // caps off again: c
      Buffer.from([0, 0, 0x28, 0, 0, 0, 0, 0]),
    ];
    expect(decode(reports).frames).toEqual(["Ab2c"]);
  });

  it("handles key rollover: held keys type once, several new keys in one report type in order", () => {
    const reports = hexLines(`
      00 00 04 00 00 00 00 00
      00 00 04 05 00 00 00 00
      00 00 05 06 07 00 00 00
      00 00 00 00 00 00 00 00
      00 00 04 00 00 00 00 00
      00 00 00 00 00 00 00 00
      00 00 04 00 00 00 00 00
      00 00 28 00 00 00 00 00`);
    expect(decode(reports).frames).toEqual(["abcdaa"]);
  });

  it("ignores phantom (ErrorRollOver) reports without typing or releasing", () => {
    const reports = hexLines(`
      00 00 04 00 00 00 00 00
      00 00 01 01 01 01 01 01
      00 00 04 05 00 00 00 00
      00 00 28 00 00 00 00 00`);
    expect(decode(reports).frames).toEqual(["ab"]);
  });

  it("refuses a scan containing Escape, a function key or a Ctrl chord, and keeps decoding", () => {
    const esc = hexLines(`
      00 00 29 00 00 00 00 00
      00 00 00 00 00 00 00 00`);
    const ctrlC = hexLines(`
      01 00 06 00 00 00 00 00
      00 00 00 00 00 00 00 00`);
    const f1 = hexLines(`
      00 00 3a 00 00 00 00 00
      00 00 00 00 00 00 00 00`);
    const { frames, problems } = decode([
      ...typeReports("PG1:", { enter: false }),
      ...esc,
      ...typeReports("X"),
      ...ctrlC,
      ...typeReports("Y"),
      ...f1,
      ...typeReports("Z"),
      ...typeReports("PG1:OK"),
    ]);
    expect(problems).toEqual(["bad_key", "bad_key", "bad_key"]);
    expect(frames).toEqual(["PG1:OK"]);
  });

  it("drops an oversized scan whole at its Enter, holding no more than maxBytes", () => {
    const { frames, problems } = decode([...typeReports("A".repeat(600)), ...typeReports("PG1:OK")], {
      maxBytes: 512,
    });
    expect(problems).toEqual(["too_long"]);
    expect(frames).toEqual(["PG1:OK"]);
  });

  it("accepts keypad Enter and strips a configured report id, ignoring other report ids", () => {
    const reports = [
      Buffer.from([1, 0, 0, 0x1e, 0, 0, 0, 0, 0]),
      Buffer.from([3, 0, 0, 0x1f, 0, 0, 0, 0, 0]),
      Buffer.from([1, 0, 0, 0x58, 0, 0, 0, 0, 0]),
    ];
    expect(decode(reports, { reportId: 1 }).frames).toEqual(["1"]);
  });
});
