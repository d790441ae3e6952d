import { once } from "node:events";
import { createWriteStream, renameSync, rmSync } from "node:fs";
import type { Writable } from "node:stream";
import { InvalidArgumentError } from "commander";
import { withGateDatabase } from "../../app/gate-database.js";
import type { Config } from "../../config/schema.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import { Journal } from "../../daemon/journal/journal.js";
import type { JournalEntry } from "../../daemon/journal/journal-entry.js";
import { gateTimeFormatter } from "../ops/gate-time.js";
import { type CsvOptions, csvHeader, csvRecord, entriesBetween, jsonRecord } from "../ops/journal-export.js";
import type { TimeArg } from "../option-parsers.js";

export interface EventsExportOptions {
  readonly since: TimeArg;
  /** Default: `now` (inclusive). */
  readonly until?: TimeArg | undefined;
  readonly format: "csv" | "json";
  /** A file to replace atomically; default stdout. */
  readonly output?: string | undefined;
  /** The CSV field separator; default `,`. */
  readonly delimiter?: string | undefined;
  /** Starts a CSV with a UTF-8 byte order mark, so spreadsheet programs read it as UTF-8. */
  readonly bom?: boolean | undefined;
  /** Adds each credential's display name from the allowlist in force (`name` column, `displayName` in JSON). */
  readonly names?: boolean | undefined;
  /** CSV times in ISO 8601 UTC instead of the gate's time zone (JSON keeps epoch ms). */
  readonly utc?: boolean | undefined;
}

/**
 * `passgate events export --since T [--until T] [--format csv|json] [--output FILE]`: the
 * journal's entries in the window, streamed from the database opened read-only. CSV
 * cells are made safe for spreadsheets (cli/ops/journal-export.ts `csvField`). Ages in
 * `since`/`until` count back from `now` (epoch ms). Throws InvalidArgumentError (exit 2)
 * when the window is empty by construction.
 */
export async function eventsExport(config: Config, options: EventsExportOptions, now: number): Promise<void> {
  const since = resolveTime(options.since, now);
  const until = options.until === undefined ? now + 1 : resolveTime(options.until, now);
  if (until <= since) throw new InvalidArgumentError("--until must be after --since");
  const { output, format } = options;
  await withGateDatabase(config.storage, "read", async (db) => {
    const rows = entriesBetween(Journal.open(db), since, until);
    const csv: CsvOptions = {
      delimiter: options.delimiter ?? ",",
      formatTime: gateTimeFormatter(config.timezone, options.utc),
      nameOf: options.names === true ? displayNames(SqliteAllowlistStore.open(db)) : undefined,
    };
    const write = (out: Writable) => writeRecords(out, rows, format, csv, options.bom === true);
    if (output === undefined) {
      await write(process.stdout);
      return;
    }
    const count = await writeFileAtomically(output, write);
    process.stderr.write(`wrote ${count} events to ${output}\n`);
  });
}

/** Streams `rows` to `out`, waiting when it is full; returns how many records were written. */
async function writeRecords(
  out: Writable,
  rows: Iterable<JournalEntry>,
  format: "csv" | "json",
  csv: CsvOptions,
  bom: boolean,
): Promise<number> {
  let count = 0;
  const put = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, "drain");
  };
  if (format === "csv") await put(`${bom ? "\ufeff" : ""}${csvHeader(csv)}`);
  for (const entry of rows) {
    await put(format === "csv" ? csvRecord(entry, csv) : jsonRecord(entry, csv.nameOf));
    count++;
  }
  return count;
}

/** The display name of a credential id in the allowlist in force, each id looked up once. */
function displayNames(store: SqliteAllowlistStore): (credential: string) => string | undefined {
  const seen = new Map<string, string | undefined>();
  return (credential) => {
    if (!seen.has(credential)) seen.set(credential, store.get(credential)?.displayName);
    return seen.get(credential);
  };
}

/** Writes `file.tmp`, then renames it over `file`: a reader never sees half an export. */
async function writeFileAtomically(file: string, write: (out: Writable) => Promise<number>): Promise<number> {
  const tmp = `${file}.tmp`;
  const out = createWriteStream(tmp, { mode: 0o600 });
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

function resolveTime(t: TimeArg, now: number): number {
  return t.kind === "at" ? t.ms : now - t.ms;
}
