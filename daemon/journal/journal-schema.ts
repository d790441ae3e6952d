import { type ComponentSchema, type Db, migrate } from "../../platform/database/database.js";
import { GENESIS_HASH } from "./hash-chain.js";

/** Schema component name in `schema_version`. */
export const JOURNAL_COMPONENT = "journal";

/**
 * The journal's tables. `journal_head` holds the newest (seq, hash): without it, deleting
 * the last entries would leave a shorter chain that still verifies. Two triggers keep it
 * in step with `journal` inside the very INSERT statement, so no write path (ours, a
 * future one, a caller's transaction that rolls back) can move one without the other:
 * - `journal_follows_head` refuses an entry that does not extend the head (wrong seq or
 *   prev_hash); `Journal.append` uses that refusal to learn its cached head is stale.
 * - `journal_advance_head` moves the head to the new entry.
 */
export const JOURNAL_MIGRATIONS = [
  {
    version: 1,
    up: `
      -- No index on the random event id: one costs a random b-tree page per decision's
      -- commit (about 30 µs here), and ids are random UUIDs that nothing looks up.
      CREATE TABLE journal (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        gate TEXT NOT NULL,
        reader TEXT,
        direction TEXT,
        credential TEXT,
        person TEXT,
        step INTEGER,
        result TEXT,
        reason TEXT,
        data TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      ) STRICT;
      CREATE TABLE journal_head (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
      ) STRICT;
      INSERT INTO journal_head (singleton, seq, hash) VALUES (1, 0, '${GENESIS_HASH}');
      CREATE TRIGGER journal_follows_head BEFORE INSERT ON journal
      WHEN NEW.seq IS NOT (SELECT seq + 1 FROM journal_head WHERE singleton = 1)
        OR NEW.prev_hash IS NOT (SELECT hash FROM journal_head WHERE singleton = 1)
      BEGIN
        SELECT RAISE(ABORT, 'passgate journal: head moved');
      END;
      CREATE TRIGGER journal_advance_head AFTER INSERT ON journal
      BEGIN
        UPDATE journal_head SET seq = NEW.seq, hash = NEW.hash WHERE singleton = 1;
      END;
    `,
  },
  {
    version: 2,
    // Where the kept chain starts once uploaded entries are pruned: the seq and hash of
    // the last entry removed. verify() starts from it instead of the genesis hash.
    up: `
      CREATE TABLE journal_anchor (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
      ) STRICT;
      INSERT INTO journal_anchor (singleton, seq, hash) VALUES (1, 0, '${GENESIS_HASH}');
    `,
  },
] as const;

/** The message of the `journal_follows_head` refusal, to tell it from other errors. */
export const HEAD_MOVED_MESSAGE = "passgate journal: head moved";

/** The journal's tables, as the gate database opens them (app/gate-database.ts). */
export const JOURNAL_SCHEMA: ComponentSchema = {
  component: JOURNAL_COMPONENT,
  migrations: JOURNAL_MIGRATIONS,
};

/** Creates or upgrades the journal's tables. */
export function migrateJournal(db: Db): number {
  return migrate(db, JOURNAL_COMPONENT, JOURNAL_MIGRATIONS);
}

/** Newest journal schema version this code knows. */
export const JOURNAL_SCHEMA_VERSION = JOURNAL_MIGRATIONS.length;
