import { type Command, InvalidArgumentError } from "commander";
import { Journal } from "../../daemon/journal/journal.js";
import type { JournalEntry } from "../../daemon/journal/journal-entry.js";
import { formatEntryLine, timeFormatter } from "../../daemon/journal/journal-format.js";
import type { Db } from "../../daemon/store/database.js";

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

  journal
    .command("verify")
    .description("check every entry's hash, the sequence and the links; exit 1 if the chain is broken")
    .action(async () => {
      await withJournal(openDb, async (j) => {
        const report = j.verify();
        if (report.ok) {
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

  journal
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
}

/** Prints entries after `lastSeq` as they arrive, until SIGINT. */
async function follow(
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
    fail(`cannot open the database: ${message(err)}`);
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

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError("expected a count of entries, 0 or more");
  return n;
}
