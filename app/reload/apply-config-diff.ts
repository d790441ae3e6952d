import type { Config } from "../../config/schema.js";
import type { Logger } from "../../platform/log/logger.js";
import type { ReaderSet } from "../../reader-bridge/reader-set.js";
import type { ConfigDiff } from "./diff-config.js";

/** The parts of the running gate a reload changes; the composition root wires them. */
export interface ReloadTargets {
  setLogLevel(level: Config["log"]["level"]): void;
  /** Stops the relays (leaving them off) and starts them from `config`. */
  restartActuation(config: Config): Promise<void>;
  /** Swaps policy, time zone, token window and staleness budgets in one synchronous step. */
  updateGate(config: Config): void;
  restartSync(config: Config): Promise<void>;
  readonly readers: Pick<ReaderSet, "startReader" | "stopReader">;
}

/**
 * Applies a `diffConfig` result to the running gate, touching only what changed: an
 * untouched reader keeps running and loses nothing. Logs the restart-only fields it
 * leaves alone and, at the end, what it changed.
 */
export async function applyConfigDiff(diff: ConfigDiff, targets: ReloadTargets, log: Logger): Promise<void> {
  const c = diff.effective;
  if (diff.restartOnly.length > 0)
    log.warn({ fields: diff.restartOnly }, `needs a restart: ${diff.restartOnly.join(", ")}`);
  if (diff.logLevel) targets.setLogLevel(c.log.level);
  if (diff.actuation) await targets.restartActuation(c);
  if (diff.gateSettings) targets.updateGate(c);
  if (diff.sync) await targets.restartSync(c);
  const { added, removed, changed } = diff.readers;
  for (const id of [...removed, ...changed]) await targets.readers.stopReader(id);
  for (const reader of c.readers) {
    if (added.includes(reader.id) || changed.includes(reader.id)) await targets.readers.startReader(reader);
  }
  log.info(
    { changed: diff.live, restartNeeded: diff.restartOnly.length > 0 ? diff.restartOnly : undefined },
    diff.live.length > 0 ? `config reloaded: ${diff.live.join(", ")}` : "config reloaded: nothing changed",
  );
}
