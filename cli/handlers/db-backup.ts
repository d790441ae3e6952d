import { withGateDatabase } from "../../app/gate-database.js";
import type { Config } from "../../config/schema.js";
import { backupDatabase } from "../ops/db-backup.js";
import { formatBytes } from "../ops/db-check-text.js";
import { printJson } from "../output.js";

/**
 * `passgate db backup <file> [--force] [--json]`: an online copy of the database, which is
 * opened read-only as the source; the copy is checked before it replaces `file`. Throws
 * BackupExistsError / BackupVerifyError (exit 1).
 */
export async function dbBackup(
  config: Config,
  file: string,
  options: { readonly force?: boolean; readonly json?: boolean },
): Promise<void> {
  const report = await withGateDatabase(config.storage, "read", (source) =>
    backupDatabase(source, file, options.force === true),
  );
  if (options.json === true) printJson(report);
  else
    process.stdout.write(
      `backup written to ${file}: ${formatBytes(report.sizes.fileBytes)}, integrity ok, journal ok (${report.journal.entries} entries)\n`,
    );
}
