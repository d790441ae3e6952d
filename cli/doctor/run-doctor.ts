import { fileURLToPath } from "node:url";
import type { Config } from "../../config/schema.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import { NoDatabaseError, readGateDb } from "../ops/ops-db.js";
import { checkReaders, checkUdevRule } from "./device-checks.js";
import { type CheckResult, errorText, ok } from "./doctor-check.js";
import type { DoctorPorts } from "./doctor-ports.js";
import { checkConfigFile, checkSecretFiles } from "./file-checks.js";
import { checkAllowlistFresh, checkBroker, checkClock, checkRegistry } from "./network-checks.js";
import { checkDatabase, checkDisk } from "./storage-checks.js";

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
  results.push(...checkDatabase(config, ports));
  results.push(checkDisk(config, ports));
  results.push(...(await checkReaders(config, ports)));
  results.push(checkUdevRule(config, ports.readText(SHIPPED_UDEV_RULES), ports));
  results.push(await checkClock(ports));
  const [broker, stats] = [checkBroker(config, ports), allowlistStats(config)];
  results.push(await broker);
  results.push(await checkRegistry(config, typeof stats === "string" ? null : stats.version, ports));
  if (typeof stats === "string")
    results.push({ id: "allowlist", status: "fail", finding: stats, fix: "passgate db check" });
  else results.push(checkAllowlistFresh(config, stats, input.now));
  return results;
}

function allowlistStats(config: Config): { version: number | null; syncedAt: number | null } | string {
  try {
    return readGateDb(config, (db) => SqliteAllowlistStore.open(db).stats());
  } catch (err) {
    // No database is no allowlist; the db check above already says how to make one.
    if (err instanceof NoDatabaseError) return { version: null, syncedAt: null };
    return `cannot read the allowlist: ${errorText(err)}`;
  }
}
