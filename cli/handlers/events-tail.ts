import { withGateDatabase } from "../../app/gate-database.js";
import type { Config } from "../../config/schema.js";
import { Journal } from "../../daemon/journal/journal.js";
import type { JournalEntry } from "../../daemon/journal/journal-entry.js";
import { formatEntryLine } from "../../daemon/journal/journal-format.js";
import { safeJson } from "../ops/escape-control.js";
import { followJournal, writeEntries } from "../ops/follow-journal.js";
import { gateTimeFormatter } from "../ops/gate-time.js";

/**
 * `passgate events tail [-n N] [-f] [--json]`: the newest events, oldest first, from the
 * database opened read-only; with `follow`, new ones until Ctrl-C. Times in the gate's
 * zone unless `utc` (JSON keeps epoch ms).
 */
export async function eventsTail(
  config: Config,
  options: {
    readonly lines: number;
    readonly follow?: boolean;
    readonly json?: boolean;
    readonly utc?: boolean;
  },
): Promise<void> {
  const formatTime = gateTimeFormatter(config.timezone, options.utc);
  const print =
    options.json === true
      ? (e: JournalEntry) => safeJson(e)
      : (e: JournalEntry) => formatEntryLine(e, formatTime);
  await withGateDatabase(config.storage, "read", async (db) => {
    const journal = Journal.open(db);
    const entries = journal.tail(options.lines);
    writeEntries(entries, print);
    if (options.follow === true)
      await followJournal(journal, entries.at(-1)?.seq ?? journal.head()?.seq ?? 0, print);
  });
}
