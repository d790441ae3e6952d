import type { Command } from "commander";
import { GATE_MODES, type GateMode } from "../../config/schema.js";
import { GateModeControl } from "../../daemon/actuate/gate-mode-control.js";
import { Journal } from "../../daemon/journal/journal.js";
import { createLogger } from "../../daemon/log/logger.js";
import { systemClock } from "../../daemon/ports/clock.js";
import { migrateGateState } from "../../daemon/state/gate-state-schema.js";
import { ModeStore } from "../../daemon/state/mode-store.js";
import type { Db } from "../../daemon/store/database.js";

/**
 * `passgate mode` prints the gate mode; `passgate mode set <mode>` changes it, journaled
 * (kind `mode`, source `cli`) and persisted. A running gate adopts it within a second.
 */
export function registerModeCommand(
  program: Command,
  open: () => { db: Db; gate: string; configMode: GateMode },
): void {
  const withControl = <T>(use: (control: GateModeControl) => T): T => {
    const { db, gate, configMode } = open();
    try {
      migrateGateState(db);
      const mode = ModeStore.load(db, { mode: configMode, since: systemClock.now(), source: "config" });
      const control = new GateModeControl({
        db,
        mode,
        journal: Journal.open(db),
        gate,
        clock: systemClock,
        logger: createLogger({ level: "silent" }),
      });
      return use(control);
    } finally {
      db.close();
    }
  };
  const show = (r: { mode: string; since: number; source: string }) =>
    `${r.mode} (since ${new Date(r.since).toISOString()}, set by ${r.source})`;

  const mode = program
    .command("mode")
    .description("the gate mode: normal, lockdown (nobody passes) or free (everybody passes: fire alarm)")
    .action(() => {
      withControl((c) => process.stdout.write(`${show(c.current())}\n`));
    });
  mode
    .command("set")
    .description(
      "change the gate mode; journaled, kept across restarts, adopted by a running gate within 1 s",
    )
    .argument("<mode>", GATE_MODES.join(" | "))
    .action((wanted: string) => {
      if (!(GATE_MODES as readonly string[]).includes(wanted)) {
        throw new Error(`unknown mode "${wanted}": expected ${GATE_MODES.join(", ")}`);
      }
      withControl((c) => {
        const { record, changed } = c.set(wanted as GateMode, "cli");
        process.stdout.write(`${changed ? "mode set" : "mode unchanged"}: ${show(record)}\n`);
      });
    });
}
