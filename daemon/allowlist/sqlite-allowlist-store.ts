import type Database from "better-sqlite3";
import { type ComponentSchema, type Db, type Migration, migrate } from "../../platform/database/database.js";
import type {
  AllowlistBodyKind,
  AllowlistStaging,
  AllowlistStats,
  WritableAllowlistStore,
} from "./allowlist-store.js";
import type { Credential } from "./credential.js";
import { decodeCredential } from "./credential-row.js";
import { CREDENTIAL_TABLE, META_TABLE, startSqliteStaging } from "./sqlite-allowlist-staging.js";
import { clearRetiredStep } from "./sqlite-retired-allowlists.js";

/**
 * Schema of the "allowlist" component: a rowid table with a unique index on the id. A
 * staged snapshot is a table of the same shape that is renamed into place at its switch
 * (sqlite-allowlist-staging.ts), so the shape must not change without a new migration.
 */
export const ALLOWLIST_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE ${CREDENTIAL_TABLE} (id TEXT NOT NULL, body TEXT) STRICT;
      CREATE UNIQUE INDEX ${CREDENTIAL_TABLE}_id ON ${CREDENTIAL_TABLE} (id);
      CREATE TABLE ${META_TABLE} (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        site TEXT,
        version INTEGER,
        count INTEGER NOT NULL,
        issued_at INTEGER,
        synced_at INTEGER
      ) STRICT;
      INSERT INTO ${META_TABLE} (singleton, count) VALUES (1, 0);
    `,
  },
];

interface MetaRow {
  site: string | null;
  version: number | null;
  count: number;
  issued_at: number | null;
  synced_at: number | null;
}

/**
 * The allowlist in the gate's SQLite database. Credentials are kept as compact JSON rows
 * (credential-row.ts) keyed by their canonical decimal id; one meta row holds the site,
 * version, count and times of the body in force.
 *
 * Create it with `SqliteAllowlistStore.open(db)`, which migrates the tables and prepares
 * the lookup. Safe to share `db` with other components: updates are staged beside the
 * allowlist in force and switched in by one short transaction (sqlite-allowlist-staging.ts).
 */
/** The allowlist's tables, as the gate database opens them (app/gate-database.ts). */
export const ALLOWLIST_SCHEMA: ComponentSchema = { component: "allowlist", migrations: ALLOWLIST_MIGRATIONS };

export class SqliteAllowlistStore implements WritableAllowlistStore {
  private readonly lookup: Database.Statement<[string], string | null>;
  private readonly meta: Database.Statement<[], MetaRow>;

  private constructor(private readonly db: Db) {
    this.lookup = db
      .prepare<[string], string | null>(`SELECT body FROM ${CREDENTIAL_TABLE} WHERE id = ?`)
      .pluck();
    this.meta = db.prepare<[], MetaRow>(
      `SELECT site, version, count, issued_at, synced_at FROM ${META_TABLE} WHERE singleton = 1`,
    );
  }

  /**
   * A store over the allowlist tables of `db`, brought to the current schema first when `db`
   * is writable (a read-only connection only reads: app/gate-database.ts checked the schema).
   */
  static open(db: Db): SqliteAllowlistStore {
    if (!db.readonly) migrate(db, ALLOWLIST_SCHEMA.component, ALLOWLIST_SCHEMA.migrations);
    return new SqliteAllowlistStore(db);
  }

  get(id: string): Credential | undefined {
    const body = this.lookup.get(id);
    return body === undefined || body === null ? undefined : decodeCredential(id, body);
  }

  stats(): AllowlistStats {
    const row = this.meta.get();
    if (row === undefined) return { site: null, version: null, count: 0, issuedAt: null, syncedAt: null };
    return {
      site: row.site,
      version: row.version,
      count: row.count,
      issuedAt: row.issued_at,
      syncedAt: row.synced_at,
    };
  }

  stage(kind: AllowlistBodyKind, now: number): AllowlistStaging {
    return startSqliteStaging(this.db, kind, now);
  }

  clearRetired(now: number): boolean {
    return clearRetiredStep(this.db, now);
  }
}
