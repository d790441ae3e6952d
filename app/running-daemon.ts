import type { Config } from "../config/schema.js";
import type { Gate } from "../daemon/gate/gate.js";
import type { Logger } from "../platform/log/logger.js";
import type { ComponentList } from "./component-list.js";
import type { HealthReport } from "./http/health.js";
import { applyConfigDiff } from "./reload/apply-config-diff.js";
import { type ConfigDiff, diffConfig } from "./reload/diff-config.js";

export interface RunningDaemon {
  readonly gate: Gate;
  /** Resolves when every reader source has ended (stdin closed) or `stop` was called. */
  readonly done: Promise<void>;
  /** Pull the allowlist now (the registry's MQTT push); does nothing without `registry:`. */
  requestSync(): void;
  /** Healthy = not stopping and the journal's database takes a write lock (app/http/health.ts). */
  health(): HealthReport;
  /**
   * Applies a validated config without dropping scans (SIGHUP): policy, readers, relays,
   * sync and log level change live; what needs a restart is logged and kept as it is.
   */
  reload(config: Config): Promise<ConfigDiff>;
  /** The port the HTTP endpoint listens on; undefined without `http:` or when it could not bind. */
  httpPort(): number | undefined;
  /** Stops the gate: every component in reverse start order, after a reload under way. */
  stop(): Promise<void>;
}

/** What the handle reads of the started components. */
export interface RunningParts {
  readonly gate: Gate;
  /** One promise per stream reader (stdin), resolving when its stream ends. */
  readonly ended: readonly Promise<void>[];
  requestSync(): void;
  health(): HealthReport;
  httpPort(): number | undefined;
}

/**
 * The handle on a started gate: reloads and the stop go through the component list, one at a
 * time (a stop waits for a reload under way; a reload asked for once stopping is refused).
 * A reload diffs the new config against the one in force, hands the diff to the components
 * in start order, and keeps the result as the config in force.
 */
export function runningDaemon(
  list: ComponentList,
  config: Config,
  parts: RunningParts,
  logger: Logger,
): RunningDaemon {
  let current = config;
  let markStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    markStopped = resolve;
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= list.stop().then(() => {
      logger.info({ decisions: Object.fromEntries(parts.gate.decisionCounts()) }, "gate stopped");
      markStopped();
    });
    return stopping;
  };
  const reload = (next: Config) =>
    list.exclusive(async () => {
      const diff = diffConfig(current, next);
      const setLogLevel = (level: Config["log"]["level"]) => {
        logger.level = level;
      };
      await applyConfigDiff(diff, { setLogLevel, reload: (d) => list.reload(d) }, logger);
      current = diff.effective;
      return diff;
    });
  const { ended } = parts;
  return {
    gate: parts.gate,
    // With no stream reader there is nothing to end: the daemon runs until stopped.
    done: ended.length === 0 ? stopped : Promise.race([Promise.all(ended).then(() => undefined), stopped]),
    requestSync: () => parts.requestSync(),
    health: () => parts.health(),
    reload,
    httpPort: () => parts.httpPort(),
    stop,
  };
}
