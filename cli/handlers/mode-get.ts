import { ModeStore } from "../../daemon/state/mode-store.js";
import { gateTimeFormatter } from "../ops/gate-time.js";
import { printJson } from "../output.js";
import { describeMode, type OpenModeGate, withModeGate } from "./mode-gate.js";

/**
 * `passgate mode [get] [--json]`: the mode in force, since when and who set it, read from
 * the database opened read-only (the config's mode, since `now`, when none was ever set);
 * the time in the gate's zone unless `utc`.
 */
export async function modeGet(
  open: OpenModeGate,
  options: { readonly json?: boolean; readonly utc?: boolean },
  now: number,
): Promise<void> {
  const { record, timezone } = await withModeGate(open, "read", ({ db, configMode, timezone }) => ({
    record: ModeStore.load(db, { mode: configMode, since: now, source: "config" }).get(),
    timezone,
  }));
  if (options.json === true)
    printJson({ mode: record.mode, since: new Date(record.since).toISOString(), source: record.source });
  else process.stdout.write(`${describeMode(record, gateTimeFormatter(timezone, options.utc))}\n`);
}
