import { withGateDatabase } from "../../app/gate-database.js";
import type { Config } from "../../config/schema.js";
import { formatDbCheck } from "../ops/db-check-text.js";
import { inspectDb } from "../ops/db-inspect.js";
import { palette, printJson } from "../output.js";

/**
 * `passgate db check [--json]`: integrity, the journal's chain, schema versions and sizes of
 * the database opened read-only. Sets exit code 1 on integrity problems or a broken chain.
 */
export function dbCheck(config: Config, options: { readonly json?: boolean }): void {
  const report = withGateDatabase(config.storage, "read", (db) => inspectDb(db, config.storage.path));
  if (options.json === true) printJson(report);
  else process.stdout.write(formatDbCheck(report, palette(process.stdout)));
  if (!report.integrity.ok || !report.journal.ok) process.exitCode = 1;
}
