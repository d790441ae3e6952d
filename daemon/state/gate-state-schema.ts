import { type ComponentSchema, type Db, migrate } from "../../platform/database/database.js";

/** Tables of the gate's own state: accepted tokens, passages, lockouts and the gate mode. */
export const GATE_STATE_SCHEMA: ComponentSchema = {
  component: "gate-state",
  migrations: [
    {
      version: 1,
      up: `
        -- Keyed by step first so each insert lands at the right edge of the b-tree, and no
        -- expiry index: the table holds only the last minutes and is pruned by a scan once a
        -- minute. Both keep a decision's commit to few pages (see docs/bench.md).
        CREATE TABLE replay (
          credential TEXT NOT NULL,
          step INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          PRIMARY KEY (step, credential)
        ) STRICT, WITHOUT ROWID;
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
    {
      version: 2,
      // A lockout now holds at the reader where the bad codes came, not everywhere (a
      // stranger at one reader must not lock a person out at every gate); lockouts of the
      // old kind are dropped (they last minutes). Each reader has a budget of guesses.
      up: `
        DROP TABLE lockout;
        CREATE TABLE lockout (
          credential TEXT NOT NULL,
          reader TEXT NOT NULL,
          failures TEXT NOT NULL,
          locked_until INTEGER,
          PRIMARY KEY (credential, reader)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE reader_guesses (
          reader TEXT PRIMARY KEY,
          tokens REAL NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
      `,
    },
    {
      version: 3,
      // How the gate's last run ended (daemon/state/run-record.ts): a run that did not stop
      // cleanly after the machine rebooted may have lost its last commits, replay rows included.
      up: `
        CREATE TABLE gate_run (
          singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
          boot_id TEXT,
          started_at INTEGER NOT NULL,
          clean INTEGER NOT NULL CHECK (clean IN (0, 1)),
          lost_up_to INTEGER
        ) STRICT;
      `,
    },
    {
      version: 4,
      // A grant's passage is written to presence after its decision's commit, many at a
      // time (daemon/state/presence-store.ts): the seq of the newest journal entry whose
      // passage the table has, so a start after a crash writes the ones after it. No row
      // until the first start of this version, which sets it to the journal's head.
      up: `
        CREATE TABLE presence_applied (
          singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
          seq INTEGER NOT NULL
        ) STRICT;
      `,
    },
  ],
};

/** Creates or upgrades the gate-state tables (only on a writable connection). */
export function migrateGateState(db: Db): void {
  if (!db.readonly) migrate(db, GATE_STATE_SCHEMA.component, GATE_STATE_SCHEMA.migrations);
}
