import type { JournalEntry } from "./journal-entry.js";

/**
 * One entry as a line for a person, e.g.
 * `#57 2026-11-24T09:00:01.123Z main-1 in  granted ok        cred 1001 p-1001 step 58800000 reader in`.
 * Other kinds print their kind and `data` as key=value. Never a token: the journal has none.
 */
export function formatEntryLine(entry: JournalEntry, formatTime: (epochMs: number) => string): string {
  const parts = [`#${entry.seq}`, formatTime(entry.at), printable(entry.gate)];
  if (entry.kind === "decision") {
    parts.push(
      (entry.direction ?? "-").padEnd(3),
      (entry.result ?? "-").padEnd(7),
      (entry.reason ?? "-").padEnd(9),
      `cred ${printable(entry.credential ?? "-")}`,
      printable(entry.person ?? "-"),
    );
    if (entry.step !== null) parts.push(`step ${entry.step}`);
  } else {
    parts.push(entry.kind);
    if (entry.direction !== null) parts.push(entry.direction);
    if (entry.result !== null) parts.push(entry.result);
    if (entry.reason !== null) parts.push(printable(entry.reason));
    if (entry.credential !== null) parts.push(`cred ${printable(entry.credential)}`);
    if (entry.person !== null) parts.push(printable(entry.person));
    if (entry.step !== null) parts.push(`step ${entry.step}`);
  }
  if (entry.reader !== null) parts.push(`reader ${printable(entry.reader)}`);
  for (const key of Object.keys(entry.data).sort()) {
    const value = entry.data[key];
    // A journal gap's range is for a person to read in the gate's time, like `at`.
    const text =
      entry.reason === "journal_gap" && (key === "first" || key === "last") && Number.isSafeInteger(value)
        ? formatTime(value as number)
        : formatValue(value);
    parts.push(`${printable(key)}=${printable(text)}`);
  }
  return parts.join(" ");
}

/** Control characters and line separators that would split or rewrite a terminal line. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Person ids, credential ids and data come from the registry or a device: one holding a
 * newline or an escape sequence would forge a second line or repaint the terminal, so it
 * is printed JSON-quoted instead.
 */
export function printable(text: string): string {
  if (!UNPRINTABLE.test(text)) return text;
  // JSON.stringify escapes C0 controls only; DEL, C1 and the line separators too.
  return JSON.stringify(text).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join(",");
  return JSON.stringify(value) ?? String(value);
}

/**
 * A formatter of epoch ms: ISO 8601 in UTC when `timeZone` is undefined, else the local
 * time of that IANA zone with its offset (`2026-11-24T12:00:01.123+03:00`). Throws a
 * RangeError for an unknown zone, when created rather than per line.
 */
export function timeFormatter(timeZone: string | undefined): (epochMs: number) => string {
  if (timeZone === undefined) return (epochMs) => new Date(epochMs).toISOString();
  const fmt = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    fractionalSecondDigits: 3,
    hourCycle: "h23",
    timeZoneName: "longOffset",
  });
  return (epochMs) => {
    const p: Record<string, string> = {};
    for (const part of fmt.formatToParts(epochMs)) p[part.type] = part.value;
    // longOffset is "GMT+03:00", or plain "GMT" at offset zero.
    const offset = (p.timeZoneName ?? "GMT").replace("GMT", "") || "+00:00";
    return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}.${p.fractionalSecond}${offset}`;
  };
}
