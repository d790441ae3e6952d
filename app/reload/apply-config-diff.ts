import type { Config } from "../../config/schema.js";
import type { Logger } from "../../platform/log/logger.js";
import type { ConfigDiff } from "./diff-config.js";

/** What a reload changes in the running gate; the composition root wires them. */
export interface ReloadTargets {
  setLogLevel(level: Config["log"]["level"]): void;
  /**
   * Hands the diff to every running component in start order (component-list.ts): each
   * applies its own part (relays, gate settings, sync, readers…) and leaves the rest alone.
   */
  reload(diff: ConfigDiff): Promise<void>;
}

/**
 * Applies a `diffConfig` result to the running gate, touching only what changed: an
 * untouched reader keeps running and loses nothing. Logs the restart-only fields it
 * leaves alone and, at the end, what it changed.
 */
export async function applyConfigDiff(diff: ConfigDiff, targets: ReloadTargets, log: Logger): Promise<void> {
  if (diff.restartOnly.length > 0)
    log.warn({ fields: diff.restartOnly }, `needs a restart: ${diff.restartOnly.join(", ")}`);
  if (diff.logLevel) targets.setLogLevel(diff.effective.log.level);
  await targets.reload(diff);
  log.info(
    { changed: diff.live, restartNeeded: diff.restartOnly.length > 0 ? diff.restartOnly : undefined },
    diff.live.length > 0 ? `config reloaded: ${diff.live.join(", ")}` : "config reloaded: nothing changed",
  );
}
