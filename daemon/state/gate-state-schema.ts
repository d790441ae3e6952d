import { type Db, migrate } from "../store/database.js";

/** Tables of the gate's own state: accepted tokens, passages, lockouts and the gate mode. */
export function migrateGateState(db: Db): void {
  migrate(db, "gate-state", [
    {
      version: 1,
      up: `
        CREATE TABLE replay (
          credential TEXT NOT NULL,
          step INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          PRIMARY KEY (credential, step)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX replay_expiry ON replay (expires_at);
        CREATE TABLE presence (
          person TEXT NOT NULL,
          zone TEXT NOT NULL,
          direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
          at INTEGER NOT NULL,
          PRIMARY KEY (person, zone)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE lockout (
          credential TEXT PRIMARY KEY,
          failures TEXT NOT NULL,
          locked_until INTEGER
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE gate_mode (
          singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
          mode TEXT NOT NULL CHECK (mode IN ('normal', 'lockdown', 'free')),
          since INTEGER NOT NULL,
          source TEXT NOT NULL
        ) STRICT;
      `,
    },
  ]);
}
