import type { Journal } from "../../daemon/journal/journal.js";
import type { JournalEntry } from "../../daemon/journal/journal-entry.js";
import { escapeLine, safeJson } from "./escape-control.js";
import { type FormatTime, utcTime } from "./gate-time.js";

/** Entries read per query while exporting: memory stays flat however long the journal is. */
export const EXPORT_BATCH = 1000;

/** CSV columns of `events export --format csv`, in order. */
export const CSV_COLUMNS = [
  "seq",
  "id",
  "at",
  "kind",
  "gate",
  "reader",
  "direction",
  "credential",
  "person",
  "step",
  "result",
  "reason",
  "data",
  "prevHash",
  "hash",
] as const;

/**
 * The journal's entries with `since <= at < until` (epoch ms), oldest first, read in
 * batches of `EXPORT_BATCH` by seq. The whole journal is walked: `at` follows the gate's
 * clock, which may have stepped back, so the first entry past `until` does not end it.
 */
export function* entriesBetween(journal: Journal, since: number, until: number): Generator<JournalEntry> {
  let seq = 0;
  for (;;) {
    const batch = journal.since(seq, EXPORT_BATCH);
    for (const entry of batch) if (entry.at >= since && entry.at < until) yield entry;
    const last = batch.at(-1);
    if (last === undefined || batch.length < EXPORT_BATCH) return;
    seq = last.seq;
  }
}

/** What a CSV export may vary: its field separator, how times read, the people's names. */
export interface CsvOptions {
  /** `,` (RFC 4180) or `;` (spreadsheets set to Russian and most of Europe, where `,` is the decimal mark). */
  readonly delimiter: string;
  /** How `at` is written (cli/ops/gate-time.ts). */
  readonly formatTime: FormatTime;
  /** The display name of a credential id, when `--names` asked for a `name` column. */
  readonly nameOf?: ((credential: string) => string | undefined) | undefined;
}

/** Characters a spreadsheet reads as the start of a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One cell: a value a spreadsheet would take for a formula (`=HYPERLINK(…)`, `+cmd`,
 * `-1+1`, `@SUM(1)`, or one starting with tab or CR) gets a leading `'` so it shows as
 * text (OWASP's advice), control characters become `\xNN` (cli/ops/escape-control.ts),
 * and the cell is quoted, quotes doubled, when it holds the delimiter or a quote (RFC 4180).
 * Hand-written rather than a CSV library: the quoting is these three lines and the project
 * has no CSV dependency to bring in for it.
 */
export function csvField(value: string, delimiter = ","): string {
  const text = escapeLine(FORMULA_START.test(value) ? `'${value}` : value);
  return text.includes(delimiter) || text.includes('"') ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The columns of an export, with `name` after `person` when names are asked for. */
export function csvColumns(names: boolean): readonly string[] {
  if (!names) return CSV_COLUMNS;
  const at = CSV_COLUMNS.indexOf("person") + 1;
  return [...CSV_COLUMNS.slice(0, at), "name", ...CSV_COLUMNS.slice(at)];
}

/** The CSV header line, CRLF-terminated (RFC 4180). */
export function csvHeader(options: Pick<CsvOptions, "delimiter" | "nameOf"> = { delimiter: "," }): string {
  return `${csvColumns(options.nameOf !== undefined).join(options.delimiter)}\r\n`;
}

/**
 * One entry as a CSV record, CRLF-terminated: `at` in `formatTime`, `data` as JSON, nulls
 * empty, every cell through `csvField`.
 */
export function csvRecord(
  e: JournalEntry,
  options: CsvOptions = { delimiter: ",", formatTime: utcTime },
): string {
  const values: (string | number | null)[] = [
    e.seq,
    e.id,
    options.formatTime(e.at),
    e.kind,
    e.gate,
    e.reader,
    e.direction,
    e.credential,
    e.person,
    ...(options.nameOf === undefined
      ? []
      : [e.credential === null ? null : (options.nameOf(e.credential) ?? null)]),
    e.step,
    e.result,
    e.reason,
    safeJson(e.data),
    e.prevHash,
    e.hash,
  ];
  return `${values.map((v) => csvField(v === null ? "" : String(v), options.delimiter)).join(options.delimiter)}\r\n`;
}

/**
 * One entry as a JSON line: the entry as `journal tail --json` prints it, with the
 * credential's `displayName` (or null) when names are asked for.
 */
export function jsonRecord(e: JournalEntry, nameOf?: (credential: string) => string | undefined): string {
  const record =
    nameOf === undefined
      ? e
      : { ...e, displayName: e.credential === null ? null : (nameOf(e.credential) ?? null) };
  return `${safeJson(record)}\n`;
}
