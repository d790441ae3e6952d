import { type GateDbAccess, openGateDatabase } from "../../app/gate-database.js";
import type { Config, GateMode } from "../../config/schema.js";
import type { ModeRecord } from "../../daemon/state/mode-store.js";
import type { Db } from "../../platform/database/database.js";
import { escapeLine } from "../ops/escape-control.js";
import { type FormatTime, utcTime } from "../ops/gate-time.js";

/** What the mode commands need: the gate's database, its name for the journal, and the config's mode. */
export interface ModeGate {
  readonly db: Db;
  readonly gate: string;
  /** The mode in force until one is set (`policy.mode`). */
  readonly configMode: GateMode;
  /** The gate's IANA time zone (the config's `timezone`), for the times shown; default this machine's. */
  readonly timezone?: string;
}

/** Opens the mode commands' gate for `access`; the command closes `db`. */
export type OpenModeGate = (access: GateDbAccess) => ModeGate | Promise<ModeGate>;

/** The gate `config` names, its database opened for `access` (app/gate-database.ts). */
export function openModeGate(config: Config, access: GateDbAccess): ModeGate {
  return {
    db: openGateDatabase(config.storage, access),
    gate: config.gate,
    configMode: config.policy.mode,
    timezone: config.timezone,
  };
}

/** Opens the gate for `access`, runs `use`, closes the database. */
export async function withModeGate<T>(
  open: OpenModeGate,
  access: GateDbAccess,
  use: (gate: ModeGate) => T,
): Promise<T> {
  const gate = await open(access);
  try {
    return use(gate);
  } finally {
    gate.db.close();
  }
}

/** `lockdown (since 2026-11-24T12:00:00.000+03:00, set by cli)`, the time in `formatTime`. */
export function describeMode(r: ModeRecord, formatTime: FormatTime = utcTime): string {
  return `${r.mode} (since ${formatTime(r.since)}, set by ${escapeLine(r.source)})`;
}
