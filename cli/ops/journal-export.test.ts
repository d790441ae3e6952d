import { describe, expect, it } from "vitest";
import type { JournalEntry } from "../../daemon/journal/journal-entry.js";
import { csvField, csvHeader, csvRecord } from "./journal-export.js";

describe("csvField", () => {
  it.each([
    ["a formula", '=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ["a plus", "+cmd", "'+cmd"],
    ["a minus", "-1+1", "'-1+1"],
    ["an at sign", "@SUM(1)", "'@SUM(1)"],
    ["a leading tab, escaped too", "\t=1", "'\\x09=1"],
    ["a leading CR, escaped too", "\r=1", "'\\x0d=1"],
    ["a formula character later on is left", "p-1001=x", "p-1001=x"],
    ["a comma quotes the cell", "a,b", '"a,b"'],
    ["an escape sequence", "p\u001b[2J", "p\\x1b[2J"],
    ["an empty cell", "", ""],
  ])("%s", (_why, value, cell) => {
    expect(csvField(value)).toBe(cell);
  });

  it("quotes on the delimiter in use", () => {
    expect(csvField("a;b", ";")).toBe('"a;b"');
    expect(csvField("a,b", ";")).toBe("a,b");
  });
});

describe("csvRecord", () => {
  const entry: JournalEntry = {
    seq: 3,
    id: "e-3",
    kind: "decision",
    at: Date.UTC(2026, 10, 24, 9, 0, 1),
    gate: "main-1",
    reader: "in",
    direction: "in",
    credential: "1001",
    person: "=1+1",
    step: 7,
    result: "granted",
    reason: "ok",
    data: { note: "x;y" },
    prevHash: "aa",
    hash: "bb",
  };

  it("writes the delimiter, the time it is given and the name column", () => {
    const options = {
      delimiter: ";",
      formatTime: (ms: number) => `t${ms}`,
      nameOf: (id: string) => (id === "1001" ? "+Иванова" : undefined),
    };
    expect(csvHeader(options)).toBe(
      "seq;id;at;kind;gate;reader;direction;credential;person;name;step;result;reason;data;prevHash;hash\r\n",
    );
    expect(csvRecord(entry, options)).toBe(
      `3;e-3;t${entry.at};decision;main-1;in;in;1001;'=1+1;'+Иванова;7;granted;ok;"{""note"":""x;y""}";aa;bb\r\n`,
    );
  });
});
