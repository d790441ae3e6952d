import type { JournalEntry } from "../../daemon/journal/journal-entry.js";
import { formatEntryLine, timeFormatter } from "../../daemon/journal/journal-format.js";
import { followJournal, writeEntries } from "../ops/follow-journal.js";
import { errorMessage, failJournal, type OpenJournalDb, withJournal } from "./journal-database.js";

export interface JournalTailOptions {
  readonly lines: number;
  readonly json?: boolean;
  readonly follow?: boolean;
  /** IANA time zone for the times; default ISO 8601 UTC. */
  readonly tz?: string;
}

/**
 * `passgate journal tail [-n N] [--json] [--follow] [--tz ZONE]`: the newest entries,
 * oldest first; with `follow`, new ones until Ctrl-C. Exit code 2 for an unknown zone or a
 * journal that cannot be read.
 */
export async function journalTail(open: OpenJournalDb, options: JournalTailOptions): Promise<void> {
  let print: (entry: JournalEntry) => string;
  try {
    const formatTime = timeFormatter(options.tz);
    print = options.json === true ? (e) => JSON.stringify(e) : (e) => formatEntryLine(e, formatTime);
  } catch (err) {
    failJournal(`--tz ${options.tz}: ${errorMessage(err)}`);
    return;
  }
  await withJournal(open, async (journal) => {
    const entries = journal.tail(options.lines);
    writeEntries(entries, print);
    if (options.follow === true)
      await followJournal(journal, entries.at(-1)?.seq ?? journal.head()?.seq ?? 0, print);
  });
}
