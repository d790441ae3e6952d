import { withGateDatabase } from "../../app/gate-database.js";
import type { Config } from "../../config/schema.js";
import { safeJson } from "../ops/escape-control.js";
import { gateTimeFormatter } from "../ops/gate-time.js";
import { formatSyncStatus, readSyncStatus } from "../ops/sync-status-report.js";

/** `passgate sync status [--json]`: what the gate recorded of its syncs, read from the database opened read-only; times in the gate's zone unless `utc`. */
export function syncStatus(
  config: Config,
  options: { readonly json?: boolean; readonly utc?: boolean },
  now: number,
): void {
  const status = withGateDatabase(config.storage, "read", (db) => readSyncStatus(config, db, now));
  if (options.json === true) process.stdout.write(`${safeJson(status)}\n`);
  else process.stdout.write(formatSyncStatus(status, gateTimeFormatter(config.timezone, options.utc)));
}
