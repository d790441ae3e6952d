import { readFileSync } from "node:fs";
import { withGateDatabase } from "../../app/gate-database.js";
import type { Config } from "../../config/schema.js";
import { MAX_ROSTER_BYTES, readRosterBody } from "../../daemon/trust/roster-body.js";
import { RosterStore } from "../../daemon/trust/roster-store.js";
import { escapeLine } from "../ops/escape-control.js";

/**
 * `passgate trust import <file>`: applies a roster body signed by a registry key the config
 * trusts, whole and only when newer; a refused roster changes nothing and says why.
 */
export async function trustImport(config: Config, file: string): Promise<void> {
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch (err) {
    process.stderr.write(
      `passgate: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "unreadable"})\n`,
    );
    process.exitCode = 2;
    return;
  }
  if (body.length > MAX_ROSTER_BYTES) {
    process.stderr.write(
      `passgate: roster import refused (line_too_long): ${file} is larger than ${MAX_ROSTER_BYTES} bytes\n`,
    );
    process.exitCode = 1;
    return;
  }
  const read = readRosterBody(body, { site: config.site, trustedKeys: config.registry?.trustedKeys ?? {} });
  if (!read.ok) {
    process.stderr.write(
      `passgate: roster import refused (${read.reason}): ${escapeLine(read.message)}; the roster in force is unchanged\n`,
    );
    process.exitCode = 1;
    return;
  }
  const applied = withGateDatabase(config.storage, "write", (db) =>
    RosterStore.open(db).applyRegistry(read, Date.now()),
  );
  if (!applied.ok) {
    process.stderr.write(
      `passgate: roster import refused (version_not_newer): v${read.version} is not newer than v${applied.current} in force; the roster in force is unchanged\n`,
    );
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`roster v${read.version} applied: ${read.members.length} member(s)\n`);
}
