import type { Journal } from "../../daemon/journal/journal.js";
import type { JournalEntry } from "../../daemon/journal/journal-entry.js";

/** How often `journal tail --follow` and `events tail -f` look for new entries, ms. */
const FOLLOW_INTERVAL_MS = 500;
/** Entries read per query while following, so a backlog does not load at once. */
const FOLLOW_BATCH = 500;

/**
 * Prints entries after `lastSeq` as the daemon appends them, until SIGINT (Ctrl-C); then
 * resolves, so the command closes its database and exits 0. Polls: the daemon is another
 * process and SQLite has no change notification across processes.
 */
export async function followJournal(
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
        writeEntries(batch, print);
        seq = batch.at(-1)?.seq ?? seq;
        if (batch.length < FOLLOW_BATCH) break;
      }
    }
  } finally {
    process.off("SIGINT", onSigint);
  }
}

/** Writes entries to stdout, one `print`ed line each, in one write. */
export function writeEntries(entries: readonly JournalEntry[], print: (entry: JournalEntry) => string): void {
  if (entries.length > 0) process.stdout.write(`${entries.map(print).join("\n")}\n`);
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
