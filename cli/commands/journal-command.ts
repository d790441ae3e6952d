import { type Command, InvalidArgumentError } from "commander";
import { ConfigError } from "../../config/load-config.js";
import { Journal } from "../../daemon/journal/journal.js";
import type { JournalEntry } from "../../daemon/journal/journal-entry.js";
import { formatEntryLine, timeFormatter } from "../../daemon/journal/journal-format.js";
import type { Db } from "../../platform/database/database.js";
import { describeCliError } from "../cli-errors.js";
import { helpAfter } from "../output.js";

/** How often `journal tail --follow` looks for new entries, ms. */
const FOLLOW_INTERVAL_MS = 500;
/** Entries read per query while following, so a backlog does not load at once. */
const FOLLOW_BATCH = 500;

interface TailOptions {
  readonly lines: number;
  readonly json?: boolean;
  readonly follow?: boolean;
  readonly tz?: string;
}

/**
 * `passgate journal verify` and `passgate journal tail`. `openDb` is called once per
 * command; the command closes what it returns. Exit codes: 0 fine, 1 chain broken,
 * 2 could not open or read the journal.
 */
export function registerJournalCommand(program: Command, openDb: () => Db): void {
  const journal = program.command("journal").description("the gate's hash-chained record of decisions");
  helpAfter(journal, {
    examples: ["passgate journal tail -n 50", "passgate journal tail --follow", "passgate journal verify"],
  });

  const verify = journal
    .command("verify")
    .description("check every entry's hash, the sequence and the links; exit 1 if the chain is broken")
    .option("--json", "print {ok, entries, head: {seq, hash} | null, firstBadSeq?, problem?, message?}")
    .action(async (options: { json?: boolean }) => {
      await withJournal(openDb, async (j) => {
        const report = j.verify();
        if (options.json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
          if (!report.ok) process.exitCode = 1;
        } else if (report.ok) {
          const head =
            report.head === null ? "" : `, head #${report.head.seq} ${report.head.hash.slice(0, 8)}…`;
          process.stdout.write(`journal OK: ${report.entries} entries${head}\n`);
        } else {
          process.stdout.write(
            `journal BROKEN at #${report.firstBadSeq}: ${report.message} (${report.entries} entries)\n`,
          );
          process.exitCode = 1;
        }
      });
    });

  helpAfter(verify, {
    notes:
      "A broken chain means entries were changed or removed outside passgate: keep the database file for inspection (see docs/journal.md).",
    exitCodes:
      "0 the chain is whole; 1 it is broken (the first bad entry is named); 2 the database cannot be read.",
    examples: ["passgate journal verify", "passgate journal verify --json | jq .ok"],
  });

  const tail = journal
    .command("tail")
    .description("print the newest entries, oldest first (never token text: the journal holds none)")
    .option("-n, --lines <count>", "how many entries", parseCount, 20)
    .option("--json", "one JSON object per line")
    .option("-f, --follow", "keep printing new entries until Ctrl-C")
    .option("--tz <zone>", "print times in this IANA time zone (default: ISO 8601 UTC)")
    .action(async (options: TailOptions) => {
      let print: (entry: JournalEntry) => string;
      try {
        const formatTime = timeFormatter(options.tz);
        print = options.json ? (e) => JSON.stringify(e) : (e) => formatEntryLine(e, formatTime);
      } catch (err) {
        fail(`--tz ${options.tz}: ${message(err)}`);
        return;
      }
      await withJournal(openDb, async (j) => {
        const entries = j.tail(options.lines);
        writeLines(entries, print);
        if (options.follow) await follow(j, entries.at(-1)?.seq ?? j.head()?.seq ?? 0, print);
      });
    });
  helpAfter(tail, {
    exitCodes:
      "0 printed (also when stopped with Ctrl-C while following); 2 the database cannot be read or --tz is unknown.",
    examples: [
      "passgate journal tail",
      "passgate journal tail -n 100 --tz Europe/Moscow",
      "passgate journal tail --follow",
      "passgate journal tail --json -n 1000 | jq -c 'select(.kind == \"decision\")'",
    ],
  });
}

/** Prints entries after `lastSeq` as they arrive, until SIGINT. */
export async function follow(
  journal: Journal,
  lastSeq: number,
  print: (entry: JournalEntry) => string,
): Promise<void> {
  const stop = new AbortController();
  const onSigint = (): void => stop.abort();
  process.once("SIGINT", onSigint);
  try {
    let seq = lastSeq;
    while (!stop.signal.aborted) {
      await sleep(FOLLOW_INTERVAL_MS, stop.signal);
      for (;;) {
        const batch = journal.since(seq, FOLLOW_BATCH);
        writeLines(batch, print);
        seq = batch.at(-1)?.seq ?? seq;
        if (batch.length < FOLLOW_BATCH) break;
      }
    }
  } finally {
    process.off("SIGINT", onSigint);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function writeLines(entries: readonly JournalEntry[], print: (entry: JournalEntry) => string): void {
  if (entries.length > 0) process.stdout.write(`${entries.map(print).join("\n")}\n`);
}

/** Opens the database and journal for one command, reports failures as exit code 2, closes. */
async function withJournal(openDb: () => Db, use: (journal: Journal) => Promise<void>): Promise<void> {
  const db = open(openDb);
  if (db === undefined) return;
  try {
    await use(Journal.open(db));
  } catch (err) {
    fail(message(err));
  } finally {
    db.close();
  }
}

function open(openDb: () => Db): Db | undefined {
  try {
    return openDb();
  } catch (err) {
    if (err instanceof ConfigError) {
      // A missing or broken config is the same failure for every command: exit 1, said the same way.
      process.stderr.write(`${describeCliError(err)}\n`);
      process.exitCode = 1;
    } else fail(`cannot open the database: ${message(err)}`);
    return undefined;
  }
}

function fail(text: string): void {
  process.stderr.write(`${text}\n`);
  process.exitCode = 2;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError("expected a count of entries, 0 or more");
  return n;
}
