import { openGateDatabase } from "../../app/gate-database.js";
import { ConfigError } from "../../config/load-config.js";
import type { Config } from "../../config/schema.js";
import { Journal } from "../../daemon/journal/journal.js";
import type { Db } from "../../platform/database/database.js";
import { describeCliError } from "../cli-errors.js";

/** A database to read the journal from, with the gate's time zone when a config named it. */
export type JournalDb = Db | { readonly db: Db; readonly timezone: string };

/** Opens the database the journal commands read; may throw (a ConfigError, no database…). */
export type OpenJournalDb = () => JournalDb | Promise<JournalDb>;

/** The database of the gate `config` names, opened read-only (the journal commands never write), and its time zone. */
export function openJournalDb(config: Config): JournalDb {
  return { db: openGateDatabase(config.storage, "read"), timezone: config.timezone };
}

/**
 * Opens the database and journal for one command and closes them. A broken or missing
 * config exits 1 as for every command; a database or journal that cannot be opened or
 * read exits 2 (docs/cli.md).
 */
export async function withJournal(
  open: OpenJournalDb,
  use: (journal: Journal, timezone: string | undefined) => Promise<void> | void,
): Promise<void> {
  let db: Db;
  let timezone: string | undefined;
  try {
    const opened = await open();
    if ("timezone" in opened) ({ db, timezone } = opened);
    else db = opened;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${describeCliError(err)}\n`);
      process.exitCode = 1;
    } else failJournal(`cannot open the database: ${errorMessage(err)}`);
    return;
  }
  try {
    await use(Journal.open(db), timezone);
  } catch (err) {
    failJournal(errorMessage(err));
  } finally {
    db.close();
  }
}

/** One line on stderr and exit code 2: the journal could not be read. */
export function failJournal(text: string): void {
  process.stderr.write(`${text}\n`);
  process.exitCode = 2;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
