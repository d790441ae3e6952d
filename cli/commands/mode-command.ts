import type { Command } from "commander";
import { GATE_MODES, type GateMode } from "../../config/schema.js";
import { GateModeControl } from "../../daemon/actuate/gate-mode-control.js";
import { Journal } from "../../daemon/journal/journal.js";
import { migrateGateState } from "../../daemon/state/gate-state-schema.js";
import { ModeStore } from "../../daemon/state/mode-store.js";
import { systemClock } from "../../platform/clock.js";
import type { Db } from "../../platform/database/database.js";
import { createLogger } from "../../platform/log/logger.js";
import { helpAfter, printJson } from "../output.js";
import { usageError } from "../usage.js";

/**
 * `passgate mode [get] [--json]` prints the gate mode; `passgate mode set <mode>` changes it, journaled
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

  const print = (json: boolean | undefined) =>
    withControl((c) => {
      const r = c.current();
      if (json) printJson({ mode: r.mode, since: new Date(r.since).toISOString(), source: r.source });
      else process.stdout.write(`${show(r)}\n`);
    });

  const mode = program
    .command("mode")
    .description("the gate mode: normal, lockdown (nobody passes) or free (everybody passes: fire alarm)")
    .option("--json", "print {mode, since, source}")
    .action((options: { json?: boolean }) => print(options.json));
  helpAfter(mode, {
    notes: "`passgate mode` is short for `passgate mode get`.",
    examples: [
      "passgate mode",
      "passgate mode get --json",
      "passgate mode set lockdown",
      "passgate mode set normal",
    ],
  });

  const get = mode
    .command("get")
    .description("print the gate mode, since when and who set it (config, cli, mqtt, ...)")
    .option("--json", "print {mode, since, source}")
    // `mode --json get` and `mode get --json` are the same request; the parent may hold the flag.
    .action((_options: unknown, command: Command) =>
      print(command.optsWithGlobals<{ json?: boolean }>().json),
    );
  helpAfter(get, {
    exitCodes: "0 shown; 1 the config or database cannot be read.",
    examples: ["passgate mode get", "passgate mode get --json | jq -r .mode"],
  });

  const set = mode
    .command("set")
    .description(
      "change the gate mode; journaled, kept across restarts, adopted by a running gate within 1 s",
    )
    .argument("<mode>", GATE_MODES.join(" | "))
    .action((wanted: string, _options: unknown, command: Command) => {
      if (!(GATE_MODES as readonly string[]).includes(wanted)) {
        usageError(command, `unknown mode "${wanted}": expected ${GATE_MODES.join(", ")}`);
      }
      withControl((c) => {
        const { record, changed } = c.set(wanted as GateMode, "cli");
        process.stdout.write(`${changed ? "mode set" : "mode unchanged"}: ${show(record)}\n`);
      });
    });
  helpAfter(set, {
    notes:
      "lockdown: nobody passes. free: the turnstile is held open for everybody (fire alarm, evacuation). normal: the policy decides.",
    exitCodes: "0 set (or already so); 1 the config or database cannot be read; 2 not a mode.",
    examples: ["passgate mode set lockdown", "passgate mode set free", "passgate mode set normal"],
  });
}
