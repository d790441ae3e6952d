import { describe, expect, it } from "vitest";
import { continuousReads, framedRead, scanTyping } from "./scan-typing.js";

describe("scan typing", () => {
  it.each([
    ["cr", "<PG1: A>\r"],
    ["lf", "<PG1: A>\n"],
    ["crlf", "<PG1: A>\r\n"],
    ["none", "<PG1: A>"],
  ] as const)("frames a read with terminator %s", (terminator, expected) => {
    const typing = scanTyping({ terminator, prefix: "<", suffix: ">" });
    expect(framedRead("PG1: A", typing).toString("utf8")).toBe(expected);
  });

  it("defaults to CR, one read, no pacing", () => {
    expect(scanTyping()).toEqual({
      terminator: "cr",
      prefix: "",
      suffix: "",
      charDelayMs: 0,
      reads: 1,
      rereadGapMs: 100,
    });
    expect(() => scanTyping({ reads: 0 })).toThrow(RangeError);
  });

  it("reads a phone 2 to 4 times in continuous mode", () => {
    expect([0, 0.34, 0.67, 0.9999].map((r) => continuousReads(() => r))).toEqual([2, 3, 4, 4]);
  });
});
