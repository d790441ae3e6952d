import { describe, expect, it } from "vitest";
import { posReports } from "../sim/scanners/hid-reports.js";
import { PosReportDecoder } from "./hid-pos-decoder.js";
import { hexLines } from "./testing/hid-recordings.js";

function decode(reports: Buffer[], maxBytes = 512) {
  const frames: Buffer[] = [];
  const problems: string[] = [];
  const decoder = new PosReportDecoder({
    maxBytes,
    onFrame: (f) => frames.push(f),
    onOversized: () => problems.push("too_long"),
    onMalformed: () => problems.push("malformed"),
  });
  for (const r of reports) decoder.push(r);
  return { frames: frames.map((f) => f.toString("latin1")), problems };
}

const BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

describe("PosReportDecoder", () => {
  it("decodes a recorded HID POS report of ' PG1:A ' (AIM id ]Q1, no continuation)", () => {
    const report = hexLines(
      "02 07 5d 51 31 20 50 47 31 3a 41 20 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
    );
    expect(decode(report).frames).toEqual([" PG1:A "]);
  });

  it("joins continued reports and decodes every base45 character", () => {
    const text = `PG1:${BASE45.repeat(4)}`;
    const reports = posReports(Buffer.from(text));
    expect(reports.length).toBeGreaterThan(1);
    expect(decode(reports).frames).toEqual([text]);
  });

  it("ignores other report ids, reports a length beyond the report, drops oversized codes", () => {
    const other = Buffer.from([0x04, 0x05, 1, 2, 3, 4, 5, 6]);
    const lying = Buffer.from([0x02, 0x40, 0x5d, 0x51, 0x31, 0x41]);
    const { frames, problems } = decode(
      [other, lying, ...posReports(Buffer.alloc(600, 0x41)), ...posReports(Buffer.from("PG1:OK"))],
      512,
    );
    expect(problems).toEqual(["malformed", "too_long"]);
    expect(frames).toEqual(["PG1:OK"]);
  });
});
