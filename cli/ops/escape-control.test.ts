import { describe, expect, it } from "vitest";
import { escapeControl, escapeLine, safeJson } from "./escape-control.js";

describe("escapeLine", () => {
  it.each([
    ["plain text and Cyrillic stay as they are", "Иванова А. С. p-1001", "Иванова А. С. p-1001"],
    ["CSI: clear screen", "x\u001b[2J", "x\\x1b[2J"],
    ["OSC 8 hyperlink with BEL", "\u001b]8;;http://x\u0007y", "\\x1b]8;;http://x\\x07y"],
    ["newline and CR cannot forge a line", "a\r\nforged", "a\\x0d\\x0aforged"],
    ["tab, DEL and the 8-bit CSI (C1)", "\t\u007f\u009b31m", "\\x09\\x7f\\x9b31m"],
    ["Unicode line and paragraph separators", "a\u2028b\u2029", "a\\u2028b\\u2029"],
  ])("%s", (_why, input, output) => {
    expect(escapeLine(input)).toBe(output);
  });
});

describe("escapeControl", () => {
  it("keeps newlines of a block of text, escapes the rest", () => {
    expect(escapeControl("a\nb\u001b[0m\r")).toBe("a\nb\\x1b[0m\\x0d");
  });
});

describe("safeJson", () => {
  it("is valid JSON of the same value with no control character left raw", () => {
    const value = { person: "p\u001b[2J\u009b\u007f\u2028", n: 1, list: ["\n"] };
    for (const indent of [undefined, 2]) {
      const text = safeJson(value, indent);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
      expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
      expect(JSON.parse(text)).toEqual(value);
    }
    expect(safeJson(undefined)).toBe("null");
  });
});
