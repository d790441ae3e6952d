import { fileURLToPath } from "node:url";
import { DatabaseNeedsUpgradeError, NoDatabaseError, withGateDatabase } from "../../app/gate-database.js";
import type { Config } from "../../config/schema.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import { checkReaders, checkUdevRule } from "./device-checks.js";
import { type CheckResult, errorText, ok } from "./doctor-check.js";
import type { DoctorPorts } from "./doctor-ports.js";
import { checkConfigFile, checkDatabaseFiles, checkSecretFiles } from "./file-checks.js";
import { checkAllowlistFresh, checkBroker, checkClock, checkRegistry } from "./network-checks.js";
import { checkDatabase, checkDisk } from "./storage-checks.js";
import { checkTrust } from "./trust-checks.js";

/** The udev rules this passgate ships, to compare with the installed ones. */
export const SHIPPED_UDEV_RULES = fileURLToPath(
  new URL("../../scripts/99-passgate-readers.rules", import.meta.url),
);

export interface DoctorInput {
  readonly configFile: string;
  readonly config: Config;
  /** The user the service runs as (passgate.service: `passgate`). */
  readonly serviceUser: string;
  readonly now: number;
}

/**
 * Runs every check in order, config first and network last. A check that throws becomes a
 * failed finding rather than ending the run: the person wants the whole list.
 */
export async function runDoctor(input: DoctorInput, ports: DoctorPorts): Promise<CheckResult[]> {
  const { config } = input;
  const results: CheckResult[] = [ok("config", `${input.configFile} is valid`)];
  results.push(checkConfigFile(input.configFile, ports));
  results.push(...checkSecretFiles(config, input.serviceUser, ports));
  results.push(...checkTrust(config, ports));
  results.push(...checkDatabase(config, ports));
  results.push(checkDatabaseFiles(config, ports));
  results.push(checkDisk(config, ports));
  const readerResults = await checkReaders(config, ports);
  results.push(...readerResults);
  results.push(checkUdevRule(config, ports.readText(SHIPPED_UDEV_RULES), ports, readerResults));
  results.push(await checkClock(ports));
  const [broker, stats] = [checkBroker(config, ports), allowlistStats(config)];
  results.push(await broker);
  results.push(await checkRegistry(config, "finding" in stats ? null : stats.version, ports));
  if ("finding" in stats) results.push({ id: "allowlist", status: "fail", ...stats });
  else results.push(checkAllowlistFresh(config, stats, input.now));
  return results;
}

/** The allowlist's version and sync time, read read-only; or why they cannot be read, with a fix. */
function allowlistStats(
  config: Config,
): { version: number | null; syncedAt: number | null } | { finding: string; fix: string } {
  try {
    return withGateDatabase(config.storage, "read", (db) => SqliteAllowlistStore.open(db).stats());
  } catch (err) {
    // No database is no allowlist; the db check above already says how to make one.
    if (err instanceof NoDatabaseError) return { version: null, syncedAt: null };
    const fix = err instanceof DatabaseNeedsUpgradeError ? "passgate db upgrade" : "passgate db check";
    return { finding: `cannot read the allowlist: ${errorText(err)}`, fix };
  }
}
