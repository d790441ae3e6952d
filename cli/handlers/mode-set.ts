import { userInfo } from "node:os";
import { GATE_MODES, type GateMode } from "../../config/schema.js";
import { GateModeControl } from "../../daemon/actuate/gate-mode-control.js";
import { Journal } from "../../daemon/journal/journal.js";
import { ModeStore } from "../../daemon/state/mode-store.js";
import type { Clock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import { describeMode, type OpenModeGate, withModeGate } from "./mode-gate.js";

export { GATE_MODES };

/** Whether `text` names a gate mode (`mode set`'s argument). */
export function isGateMode(text: string): text is GateMode {
  return (GATE_MODES as readonly string[]).includes(text);
}

/**
 * `passgate mode set <mode>`: persists and journals the change (kind `mode`, source `cli`,
 * `by` the OS user who ran it) on the database opened for writing, as the daemon's own
 * control does; a running gate adopts it within a second. (With `--operator` the running
 * gate journals the operator's key id instead: mode-request.ts.)
 */
export async function modeSet(open: OpenModeGate, wanted: GateMode, clock: Clock): Promise<void> {
  const { record, changed } = await withModeGate(open, "write", ({ db, gate, configMode }) => {
    const control = new GateModeControl({
      db,
      mode: ModeStore.load(db, { mode: configMode, since: clock.now(), source: "config" }),
      journal: Journal.open(db),
      gate,
      clock,
      // The command says what it did on stdout; the control's log line is for the daemon's log.
      logger: createLogger({ level: "silent" }),
    });
    return control.set(wanted, "cli", osUser());
  });
  process.stdout.write(`${changed ? "mode set" : "mode unchanged"}: ${describeMode(record)}\n`);
}

/**
 * Who ran the command, for the journal: the OS user name; under sudo, the user sudo names
 * (`SUDO_USER`) with the account it ran as, so a change made with `sudo passgate mode set`
 * names the person and not only root. A uid without a name (a container) is `uid N`.
 */
export function osUser(env: NodeJS.ProcessEnv = process.env): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    // userInfo() throws when the uid has no passwd entry; the uid still says who.
    name = `uid ${process.getuid?.() ?? "unknown"}`;
  }
  const sudo = env.SUDO_USER;
  return sudo !== undefined && sudo !== "" && sudo !== name ? `${sudo} (sudo as ${name})` : name;
}
