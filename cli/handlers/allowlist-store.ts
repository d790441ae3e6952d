import { type GateDbAccess, openGateDatabase } from "../../app/gate-database.js";
import { ConfigError } from "../../config/load-config.js";
import type { Config } from "../../config/schema.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import type { Db } from "../../platform/database/database.js";
import { describeCliError } from "../cli-errors.js";

/** What the allowlist commands need: the gate's database and what an import is checked against. */
export interface AllowlistCommandStore {
  readonly db: Db;
  readonly site: string;
  /** Registry key id → base64url Ed25519 public key, from the config. */
  readonly trustedKeys: Record<string, string>;
  /** The gate's IANA time zone (the config's `timezone`), for the times shown; default this machine's. */
  readonly timezone?: string;
  close(): void;
}

/** Opens the allowlist commands' store for `access`; may throw (a ConfigError, no database…). */
export type OpenAllowlistStore = (
  access: GateDbAccess,
) => AllowlistCommandStore | Promise<AllowlistCommandStore>;

/** The store of the gate `config` names: its database opened for `access`, its site and trusted keys. */
export function openAllowlistStore(config: Config, access: GateDbAccess): AllowlistCommandStore {
  const db = openGateDatabase(config.storage, access);
  return {
    db,
    site: config.site,
    trustedKeys: config.registry?.trustedKeys ?? {},
    timezone: config.timezone,
    close: () => db.close(),
  };
}

/**
 * Opens the store for one command, runs `use`, always closes. A broken or missing config
 * exits 1 as for every command; any other failure to open (no database yet, an older
 * schema) exits 2, the code the allowlist commands have always used for an unusable database.
 */
export async function withAllowlistStore(
  open: OpenAllowlistStore,
  access: GateDbAccess,
  use: (env: AllowlistCommandStore, store: SqliteAllowlistStore) => Promise<void> | void,
): Promise<void> {
  let env: AllowlistCommandStore | undefined;
  let store: SqliteAllowlistStore;
  try {
    env = await open(access);
    store = SqliteAllowlistStore.open(env.db);
  } catch (err) {
    env?.close();
    if (err instanceof ConfigError) {
      process.stderr.write(`${describeCliError(err)}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`cannot open the allowlist: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    await use(env, store);
  } finally {
    env.close();
  }
}
