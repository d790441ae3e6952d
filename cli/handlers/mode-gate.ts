import { type GateDbAccess, openGateDatabase } from "../../app/gate-database.js";
import type { Config, GateMode } from "../../config/schema.js";
import type { ModeRecord } from "../../daemon/state/mode-store.js";
import type { Db } from "../../platform/database/database.js";

/** What the mode commands need: the gate's database, its name for the journal, and the config's mode. */
export interface ModeGate {
  readonly db: Db;
  readonly gate: string;
  /** The mode in force until one is set (`policy.mode`). */
  readonly configMode: GateMode;
}

/** Opens the mode commands' gate for `access`; the command closes `db`. */
export type OpenModeGate = (access: GateDbAccess) => ModeGate | Promise<ModeGate>;

/** The gate `config` names, its database opened for `access` (app/gate-database.ts). */
export function openModeGate(config: Config, access: GateDbAccess): ModeGate {
  return { db: openGateDatabase(config.storage, access), gate: config.gate, configMode: config.policy.mode };
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

/** `lockdown (since 2026-11-24T09:00:00.000Z, set by cli)` */
export function describeMode(r: ModeRecord): string {
  return `${r.mode} (since ${new Date(r.since).toISOString()}, set by ${r.source})`;
}
