import type { JournalEntry } from "../../daemon/journal/journal-entry.js";
import { formatEntryLine, timeFormatter } from "../../daemon/journal/journal-format.js";
import { safeJson } from "../ops/escape-control.js";
import { followJournal, writeEntries } from "../ops/follow-journal.js";
import { gateTimeFormatter } from "../ops/gate-time.js";
import { errorMessage, failJournal, type OpenJournalDb, withJournal } from "./journal-database.js";

export interface JournalTailOptions {
  readonly lines: number;
  readonly json?: boolean;
  readonly follow?: boolean;
  /** IANA time zone for the times; default the gate's (the config's `timezone`), else this machine's. */
  readonly tz?: string;
  /** Times in ISO 8601 UTC instead (wins over `tz`). */
  readonly utc?: boolean;
}

/**
 * `passgate journal tail [-n N] [--json] [--follow] [--tz ZONE] [--utc]`: the newest
 * entries, oldest first; with `follow`, new ones until Ctrl-C. Times in the gate's zone
 * unless `tz` or `utc` say otherwise (JSON keeps epoch ms). Exit code 2 for an unknown zone
 * or a journal that cannot be read.
 */
export async function journalTail(open: OpenJournalDb, options: JournalTailOptions): Promise<void> {
  if (options.tz !== undefined && options.utc !== true) {
    try {
      timeFormatter(options.tz);
    } catch (err) {
      failJournal(`--tz ${options.tz}: ${errorMessage(err)}`);
      return;
    }
  }
  await withJournal(open, async (journal, timezone) => {
    const formatTime = gateTimeFormatter(options.tz ?? timezone, options.utc);
    const print = (e: JournalEntry): string =>
      options.json === true ? safeJson(e) : formatEntryLine(e, formatTime);
    const entries = journal.tail(options.lines);
    writeEntries(entries, print);
    if (options.follow === true)
      await followJournal(journal, entries.at(-1)?.seq ?? journal.head()?.seq ?? 0, print);
  });
}
