import { describe, expect, it } from "vitest";
import type { JournalEntry } from "./journal-entry.js";
import { formatEntryLine, timeFormatter } from "./journal-format.js";

const at = Date.UTC(2026, 10, 24, 9, 0, 1, 123);

const entry: JournalEntry = {
  seq: 57,
  id: "5f0c7e4e-1b7a-4c7e-9a55-0d1c2b3a4f5e",
  kind: "decision",
  at,
  gate: "main-1",
  reader: "in",
  direction: "in",
  credential: "1001",
  person: "p-1001",
  step: 58_800_000,
  result: "granted",
  reason: "ok",
  data: { rule: "staff", flags: ["anti_passback_soft"] },
  prevHash: "0".repeat(64),
  hash: "f".repeat(64),
};

describe("formatEntryLine", () => {
  it("prints a decision in aligned columns, with data as key=value", () => {
    expect(formatEntryLine(entry, timeFormatter(undefined))).toBe(
      "#57 2026-11-24T09:00:01.123Z main-1 in  granted ok        cred 1001 p-1001 step 58800000 reader in " +
        "flags=anti_passback_soft rule=staff",
    );
  });

  it("quotes ids and data holding control characters, so no value can forge a line or repaint the terminal", () => {
    const hostile: JournalEntry = {
      ...entry,
      person: "p-1\n#58 2026-11-24T09:00:02.000Z main-1 in  granted ok",
      credential: "c\u001b[2J",
      data: { note: "a\u2028b\u0085c", "k\r": "v" },
    };
    const line = formatEntryLine(hostile, timeFormatter(undefined));
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(line).toContain('cred "c\\u001b[2J" "p-1\\n#58 2026-11-24T09:00:02.000Z main-1 in  granted ok"');
    expect(line).toContain('note="a\\u2028b\\u0085c"');
    expect(line).toContain('"k\\r"=v');
  });

  it("prints a scan that did not parse with dashes", () => {
    const malformed: JournalEntry = {
      ...entry,
      credential: null,
      person: null,
      step: null,
      result: "denied",
      reason: "malformed",
      data: {},
    };
    expect(formatEntryLine(malformed, timeFormatter(undefined))).toBe(
      "#57 2026-11-24T09:00:01.123Z main-1 in  denied  malformed cred - - reader in",
    );
  });

  it("prints other kinds with their kind and the fields they have", () => {
    const mode: JournalEntry = {
      ...entry,
      kind: "mode",
      reader: null,
      direction: null,
      credential: null,
      person: null,
      step: null,
      result: null,
      reason: null,
      data: { mode: "lockdown", source: "mqtt", level: 2 },
    };
    expect(formatEntryLine(mode, timeFormatter(undefined))).toBe(
      "#57 2026-11-24T09:00:01.123Z main-1 mode level=2 mode=lockdown source=mqtt",
    );
  });

  it("prints a journal gap's count and the range of the missing decisions in the gate's time", () => {
    const gap: JournalEntry = {
      ...entry,
      kind: "alarm",
      reader: null,
      direction: null,
      credential: null,
      person: null,
      step: null,
      result: null,
      reason: "journal_gap",
      data: { count: 5, first: at, last: at + 4000 },
    };
    expect(formatEntryLine(gap, timeFormatter("Europe/Moscow"))).toBe(
      "#57 2026-11-24T12:00:01.123+03:00 main-1 alarm journal_gap count=5 " +
        "first=2026-11-24T12:00:01.123+03:00 last=2026-11-24T12:00:05.123+03:00",
    );
    const notOpened: JournalEntry = {
      ...entry,
      kind: "passage",
      step: null,
      result: null,
      reason: "not_opened",
      data: { decision: entry.id, relay: "turnstile", error: "unconfirmed" },
    };
    expect(formatEntryLine(notOpened, timeFormatter(undefined))).toBe(
      "#57 2026-11-24T09:00:01.123Z main-1 passage in not_opened cred 1001 p-1001 reader in " +
        `decision=${entry.id} error=unconfirmed relay=turnstile`,
    );
  });
});

describe("timeFormatter", () => {
  it("prints local time with the zone's offset", () => {
    expect(timeFormatter("Europe/Moscow")(at)).toBe("2026-11-24T12:00:01.123+03:00");
    expect(timeFormatter("America/St_Johns")(Date.UTC(2026, 0, 1, 0, 0, 0, 5))).toBe(
      "2025-12-31T20:30:00.005-03:30",
    );
    expect(timeFormatter("UTC")(at)).toBe("2026-11-24T09:00:01.123+00:00");
  });

  it("refuses an unknown zone when created", () => {
    expect(() => timeFormatter("Not/AZone")).toThrow(RangeError);
  });
});
