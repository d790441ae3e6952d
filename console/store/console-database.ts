import { type Db, migrate, openDatabase } from "../../platform/database/database.js";

/**
 * The console's own SQLite file: its users, the alarms with who acknowledged them, and the
 * last two days of decisions for the person search. Private to its owner (0600) like the
 * gate's, through `openDatabase`: it holds the password hashes.
 */
export const CONSOLE_MIGRATIONS = [
  {
    version: 1,
    up: `
      CREATE TABLE console_user (
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('guard', 'admin')),
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        password_set_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE console_alarm (
        id TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        gate TEXT NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT,
        acked_by TEXT,
        acked_at INTEGER
      ) STRICT;
      CREATE INDEX console_alarm_open ON console_alarm (acked_at, at);
      CREATE TABLE console_decision (
        id TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        gate TEXT NOT NULL,
        reader TEXT NOT NULL,
        direction TEXT NOT NULL,
        result TEXT NOT NULL,
        reason TEXT NOT NULL,
        credential TEXT,
        person TEXT,
        name TEXT,
        name_folded TEXT,
        passage TEXT
      ) STRICT;
      CREATE INDEX console_decision_at ON console_decision (at);
      CREATE INDEX console_decision_person ON console_decision (person, at);
      CREATE INDEX console_decision_credential ON console_decision (credential, at);
    `,
  },
] as const;

/** Opens (creating, 0600) and migrates the console's database. */
export function openConsoleDatabase(path: string): Db {
  const db = openDatabase(path);
  migrate(db, "console", CONSOLE_MIGRATIONS);
  return db;
}
