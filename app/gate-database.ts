import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Config } from "../config/schema.js";
import { ALLOWLIST_SCHEMA } from "../daemon/allowlist/sqlite-allowlist-store.js";
import { JOURNAL_SCHEMA } from "../daemon/journal/journal-schema.js";
import { SITE_OUTBOX_SCHEMA } from "../daemon/site/site-outbox.js";
import { GATE_STATE_SCHEMA } from "../daemon/state/gate-state-schema.js";
import { ROSTER_SCHEMA } from "../daemon/trust/roster-store.js";
import {
  type ComponentSchema,
  type Db,
  migrate,
  newestVersion,
  openDatabase,
  SchemaTooNewError,
  schemaVersion,
} from "../platform/database/database.js";
import { SYNC_SCHEMA } from "../sync/sync-state.js";

/** Every component that keeps tables in the gate's database, in the order they are created. */
export const GATE_SCHEMAS: readonly ComponentSchema[] = [
  ALLOWLIST_SCHEMA,
  JOURNAL_SCHEMA,
  GATE_STATE_SCHEMA,
  SYNC_SCHEMA,
  ROSTER_SCHEMA,
  SITE_OUTBOX_SCHEMA,
];

/**
 * `read`: a look that never changes the file (status, lookups, exports, checks): the
 * database must exist and hold every component at the version this passgate knows.
 * `write`: the daemon and the commands that change the gate (import, sync now, mode set,
 * a relay test): the folder and file are created if needed and every component is
 * brought to the current schema.
 */
export type GateDbAccess = "read" | "write";

/** The gate's database is not there yet: the daemon (or `passgate sync now`) creates it. */
export class NoDatabaseError extends Error {
  readonly code = "NO_DATABASE";
  constructor(path: string) {
    super(`no database at ${path} yet — start the gate once (passgate run) or run passgate sync now`);
  }
}

/** A read-only look at a database whose tables an older passgate made. */
export class DatabaseNeedsUpgradeError extends Error {
  readonly code = "DATABASE_NEEDS_UPGRADE";
  constructor(path: string, component: string, found: number | undefined, newest: number) {
    const has = found === undefined ? "has no tables" : `has version ${found}`;
    super(
      `the database at ${path} ${has} of ${component} (this passgate uses version ${newest}): ` +
        "start the gate once (passgate run) or run passgate db upgrade, then try again",
    );
  }
}

/**
 * Opens the gate's database, the one way every part of passgate does: the daemon, the CLI's
 * commands, the simulator and the tests. The caller closes it.
 */
export function openGateDatabase(storage: Config["storage"], access: GateDbAccess): Db {
  const { path } = storage;
  if (access === "read") {
    if (!existsSync(path)) throw new NoDatabaseError(path);
    const db = openDatabase(path, { readonly: true });
    try {
      checkSchemas(db, path);
    } catch (err) {
      db.close();
      throw err;
    }
    return db;
  }
  mkdirSync(dirname(path), { recursive: true });
  const db = openDatabase(path, { synchronous: storage.synchronous });
  try {
    migrateAll(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** One component's schema as `upgradeGateDatabase` found and left it. */
export interface SchemaUpgrade {
  readonly component: string;
  /** The version found; undefined when the database had none of the component's tables. */
  readonly from: number | undefined;
  readonly to: number;
}

/**
 * `passgate db upgrade`: brings an existing database to this passgate's schema, as the
 * daemon's start does, and says what each component went from and to. Never creates a
 * database (throws NoDatabaseError: an operator who names the wrong config must not get an
 * empty one); throws SchemaTooNewError for a database a newer passgate wrote.
 */
export function upgradeGateDatabase(storage: Config["storage"]): SchemaUpgrade[] {
  if (!existsSync(storage.path)) throw new NoDatabaseError(storage.path);
  const db = openDatabase(storage.path, { synchronous: storage.synchronous });
  try {
    return migrateAll(db);
  } finally {
    db.close();
  }
}

/** Runs `use` on the gate's database opened for `access`, and closes it (also when `use` throws or rejects). */
export function withGateDatabase<T>(storage: Config["storage"], access: GateDbAccess, use: (db: Db) => T): T {
  const db = openGateDatabase(storage, access);
  let result: T;
  try {
    result = use(db);
  } catch (err) {
    db.close();
    throw err;
  }
  if (result instanceof Promise) {
    return result.finally(() => db.close()) as T;
  }
  db.close();
  return result;
}

function migrateAll(db: Db): SchemaUpgrade[] {
  return GATE_SCHEMAS.map((schema) => {
    const from = schemaVersion(db, schema.component);
    return { component: schema.component, from, to: migrate(db, schema.component, schema.migrations) };
  });
}

function checkSchemas(db: Db, path: string): void {
  for (const schema of GATE_SCHEMAS) {
    const found = schemaVersion(db, schema.component);
    const newest = newestVersion(schema);
    if (found !== undefined && found > newest) throw new SchemaTooNewError(schema.component, found, newest);
    if (found === undefined || found < newest)
      throw new DatabaseNeedsUpgradeError(path, schema.component, found, newest);
  }
}
