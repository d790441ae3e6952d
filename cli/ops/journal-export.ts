import type { Journal } from "../../daemon/journal/journal.js";
import type { JournalEntry } from "../../daemon/journal/journal-entry.js";

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

/** One field as RFC 4180 wants it: quoted (quotes doubled) when it holds a comma, quote, CR or LF. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The CSV header line, CRLF-terminated (RFC 4180). */
export function csvHeader(): string {
  return `${CSV_COLUMNS.join(",")}\r\n`;
}

/** One entry as a CSV record, CRLF-terminated; `at` in ISO 8601 UTC, `data` as JSON, nulls empty. */
export function csvRecord(e: JournalEntry): string {
  const values: (string | number | null)[] = [
    e.seq,
    e.id,
    new Date(e.at).toISOString(),
    e.kind,
    e.gate,
    e.reader,
    e.direction,
    e.credential,
    e.person,
    e.step,
    e.result,
    e.reason,
    JSON.stringify(e.data),
    e.prevHash,
    e.hash,
  ];
  return `${values.map((v) => csvField(v === null ? "" : String(v))).join(",")}\r\n`;
}

/** One entry as a JSON line: the entry as `journal tail --json` prints it. */
export function jsonRecord(e: JournalEntry): string {
  return `${JSON.stringify(e)}\n`;
}
