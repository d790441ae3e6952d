import { once } from "node:events";
import { createWriteStream, existsSync, renameSync, rmSync } from "node:fs";
import type { Writable } from "node:stream";
import { type Command, InvalidArgumentError } from "commander";
import { durationSchema } from "../../config/duration-schema.js";
import type { Config } from "../../config/schema.js";
import { Journal } from "../../daemon/journal/journal.js";
import type { JournalEntry } from "../../daemon/journal/journal-entry.js";
import { formatEntryLine, timeFormatter } from "../../daemon/journal/journal-format.js";
import { type Clock, systemClock } from "../../platform/clock.js";
import { type Db, openDatabase } from "../../platform/database/database.js";
import { csvHeader, csvRecord, entriesBetween, jsonRecord } from "../ops/journal-export.js";
import { NoDatabaseError } from "../ops/ops-db.js";
import { helpAfter } from "../output.js";
import { follow, parseCount } from "./journal-command.js";

/** A time given to --since/--until: an absolute instant or an age back from now. */
type TimeArg = { readonly kind: "at"; readonly ms: number } | { readonly kind: "ago"; readonly ms: number };

/**
 * `passgate events tail` and `passgate events export`: the journal (daemon/journal) in the
 * operator's words. Read-only: the database is opened so that nothing is written to it.
 */
export function registerEventsCommand(
  program: Command,
  loadConfig: () => Config,
  clock: Clock = systemClock,
): void {
  const events = program
    .command("events")
    .description("what happened at the gate: decisions and events (the journal)");
  helpAfter(events, {
    examples: ["passgate events tail -f", "passgate events export --since 24h --format csv"],
  });
  const openDb = (): Db => {
    const path = loadConfig().storage.path;
    if (!existsSync(path)) throw new NoDatabaseError(path);
    return openDatabase(path, { readonly: true });
  };

  const tail = events
    .command("tail")
    .description("print the newest events, oldest first (never token text: the journal holds none)")
    .option("-n, --lines <count>", "how many events", parseCount, 20)
    .option("-f, --follow", "keep printing new events until Ctrl-C")
    .option("--json", "one JSON object per line")
    .action(async (options: { lines: number; follow?: boolean; json?: boolean }) => {
      const formatTime = timeFormatter(undefined);
      const print =
        options.json === true
          ? (e: JournalEntry) => JSON.stringify(e)
          : (e: JournalEntry) => formatEntryLine(e, formatTime);
      const db = openDb();
      try {
        const journal = Journal.open(db);
        const entries = journal.tail(options.lines);
        if (entries.length > 0) process.stdout.write(`${entries.map(print).join("\n")}\n`);
        if (options.follow === true)
          await follow(journal, entries.at(-1)?.seq ?? journal.head()?.seq ?? 0, print);
      } finally {
        db.close();
      }
    });
  helpAfter(tail, {
    exitCodes: "0 shown; 1 config or database cannot be read; 2 bad flag",
    examples: [
      "passgate events tail",
      "passgate events tail -n 100 --json | jq 'select(.result==\"denied\")'",
      "passgate events tail -f",
    ],
  });

  const exporter = events
    .command("export")
    .description("write the events between two times as CSV (RFC 4180, with a header) or JSON lines")
    .requiredOption("--since <time>", "ISO 8601 time, or an age such as 30m, 24h, 7d", parseTimeArg)
    .option("--until <time>", "ISO 8601 time, or an age such as 1h (default: now)", parseTimeArg)
    .option("--format <format>", "csv or json (JSON lines)", parseFormat, "csv")
    .option("--output <file>", "write to this file (replaced atomically) instead of standard output")
    .action(async (options: { since: TimeArg; until?: TimeArg; format: "csv" | "json"; output?: string }) => {
      const now = clock.now();
      const since = resolveTime(options.since, now);
      const until = options.until === undefined ? now + 1 : resolveTime(options.until, now);
      if (until <= since) throw new InvalidArgumentError("--until must be after --since");
      const db = openDb();
      try {
        const rows = entriesBetween(Journal.open(db), since, until);
        const count =
          options.output === undefined
            ? await writeRecords(process.stdout, rows, options.format)
            : await writeFileAtomically(options.output, (out) => writeRecords(out, rows, options.format));
        if (options.output !== undefined)
          process.stderr.write(`wrote ${count} events to ${options.output}\n`);
      } finally {
        db.close();
      }
    });
  helpAfter(exporter, {
    notes:
      "Columns (CSV): seq,id,at,kind,gate,reader,direction,credential,person,step,result,reason,data,prevHash,hash.\nThe export is streamed: it reads the journal in batches, whatever its length.",
    exitCodes: "0 written; 1 config, database or output file cannot be used; 2 bad flag or time",
    examples: [
      "passgate events export --since 24h --format csv --output /tmp/gate-events.csv",
      "passgate events export --since 2026-11-01T00:00:00Z --until 2026-12-01T00:00:00Z --format json > nov.jsonl",
    ],
  });
}

/** Streams `rows` to `out`, waiting when it is full; returns how many records were written. */
async function writeRecords(
  out: Writable,
  rows: Iterable<JournalEntry>,
  format: "csv" | "json",
): Promise<number> {
  let count = 0;
  const put = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, "drain");
  };
  if (format === "csv") await put(csvHeader());
  for (const entry of rows) {
    await put(format === "csv" ? csvRecord(entry) : jsonRecord(entry));
    count++;
  }
  return count;
}

/** Writes `file.tmp`, then renames it over `file`: a reader never sees half an export. */
async function writeFileAtomically(file: string, write: (out: Writable) => Promise<number>): Promise<number> {
  const tmp = `${file}.tmp`;
  const out = createWriteStream(tmp, { mode: 0o640 });
  try {
    const count = await write(out);
    out.end();
    await once(out, "finish");
    renameSync(tmp, file);
    return count;
  } catch (err) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw err;
  }
}

function parseTimeArg(value: string): TimeArg {
  const duration = durationSchema.safeParse(value);
  if (duration.success) return { kind: "ago", ms: duration.data };
  const ms = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(ms)) return { kind: "at", ms };
  throw new InvalidArgumentError("expected an ISO 8601 time (2026-11-24T09:00:00Z) or an age (30m, 24h, 7d)");
}

function resolveTime(t: TimeArg, now: number): number {
  return t.kind === "at" ? t.ms : now - t.ms;
}

function parseFormat(value: string): "csv" | "json" {
  if (value === "csv" || value === "json") return value;
  throw new InvalidArgumentError("expected csv or json");
}
