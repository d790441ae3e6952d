import { describe, expect, it } from "vitest";
import { LineSplitter, LineTooLongError } from "./ndjson-lines.js";

function split(chunks: string[], max = 100): { lines: string[]; partial: number } {
  const lines: string[] = [];
  const splitter = new LineSplitter(max, (line, n) => {
    expect(n).toBe(lines.length + 1);
    lines.push(line.toString());
  });
  for (const chunk of chunks) splitter.push(Buffer.from(chunk));
  return { lines, partial: splitter.partialBytes };
}

describe("LineSplitter", () => {
  it("splits lines inside and across chunks, keeping empty lines", () => {
    expect(split(["a\nbb", "b\n\nc", "", "c\n"])).toEqual({ lines: ["a", "bbb", "", "cc"], partial: 0 });
  });

  it("reports bytes after the last LF", () => {
    expect(split(["a\nb", "cd"])).toEqual({ lines: ["a"], partial: 3 });
  });

  it("gives the same lines for any chunking, with multi-byte characters cut anywhere", () => {
    const text = "Иванова\n{}\nx\n";
    const bytes = Buffer.from(text);
    for (let size = 1; size <= bytes.length; size++) {
      const lines: string[] = [];
      const splitter = new LineSplitter(100, (line) => lines.push(line.toString()));
      for (let i = 0; i < bytes.length; i += size) splitter.push(bytes.subarray(i, i + size));
      expect(lines).toEqual(["Иванова", "{}", "x"]);
    }
  });

  it("accepts a line of exactly the limit and refuses one byte more, without waiting for its LF", () => {
    expect(split(["12345\n"], 5).lines).toEqual(["12345"]);
    expect(split(["12", "345\n"], 5).lines).toEqual(["12345"]);
    expect(() => split(["ok\n123456\n"], 5)).toThrow(new LineTooLongError(2, 5));
    expect(() => split(["ok\n123", "456"], 5)).toThrow(LineTooLongError);
    expect(() => split(["ok\n12", "34", "56"], 5)).toThrow(/line 2 is longer than 5 bytes/);
  });
});
