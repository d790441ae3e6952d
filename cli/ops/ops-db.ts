import { existsSync } from "node:fs";
import type { Config } from "../../config/schema.js";
import { type Db, openDatabase } from "../../platform/database/database.js";

/** The gate's database is not there yet: the daemon (or `passgate sync now`) creates it. */
export class NoDatabaseError extends Error {
  readonly code = "NO_DATABASE";
  constructor(path: string) {
    super(`no database at ${path} yet — start the gate once (passgate run) or run passgate sync now`);
  }
}

/**
 * Runs `read` on the gate's database opened read-only, so an operator's look never
 * changes what the running daemon owns. A database made by an older passgate, or one
 * lacking a component's tables (no `registry:` ever), needs a schema step before it can be
 * read: then, and only then, `read` runs again on a writable connection, as the daemon's
 * next start would do. Closes the database.
 */
export function readGateDb<T>(config: Config, read: (db: Db) => T): T {
  const path = config.storage.path;
  if (!existsSync(path)) throw new NoDatabaseError(path);
  try {
    return withDb(openDatabase(path, { readonly: true }), read);
  } catch (err) {
    if (!needsSchemaStep(err)) throw err;
  }
  return withDb(openDatabase(path, { synchronous: config.storage.synchronous }), read);
}

function withDb<T>(db: Db, read: (db: Db) => T): T {
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** A write refused on the read-only connection, or a component's table not there yet. */
function needsSchemaStep(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return false;
  return (
    code.startsWith("SQLITE_READONLY") ||
    (code === "SQLITE_ERROR" && /^no such table/.test(String((err as Error).message)))
  );
}
