import { openGateDatabase } from "../../app/gate-database.js";
import { ConfigError } from "../../config/load-config.js";
import type { Config } from "../../config/schema.js";
import { Journal } from "../../daemon/journal/journal.js";
import type { Db } from "../../platform/database/database.js";
import { describeCliError } from "../cli-errors.js";

/** Opens the database the journal commands read; may throw (a ConfigError, no database…). */
export type OpenJournalDb = () => Db | Promise<Db>;

/** The database of the gate `config` names, opened read-only: the journal commands never write. */
export function openJournalDb(config: Config): Db {
  return openGateDatabase(config.storage, "read");
}

/**
 * Opens the database and journal for one command and closes them. A broken or missing
 * config exits 1 as for every command; a database or journal that cannot be opened or
 * read exits 2 (docs/cli.md).
 */
export async function withJournal(
  open: OpenJournalDb,
  use: (journal: Journal) => Promise<void> | void,
): Promise<void> {
  let db: Db;
  try {
    db = await open();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${describeCliError(err)}\n`);
      process.exitCode = 1;
    } else failJournal(`cannot open the database: ${errorMessage(err)}`);
    return;
  }
  try {
    await use(Journal.open(db));
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
