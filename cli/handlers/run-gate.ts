import { type RunningDaemon, startDaemon } from "../../app/gate-app.js";
import { watchdogHealthy } from "../../app/http/health.js";
import { createServiceNotifier, type ServiceNotifier } from "../../app/service/sd-notify.js";
import { ConfigError, formatConfigError, loadConfig } from "../../config/load-config.js";
import { systemClock } from "../../platform/clock.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import { createCliLogger } from "../cli-logger.js";
import { packageVersion } from "../package-version.js";

/** Exit codes of a second stop signal, which exits at once: 128 + the signal's number. */
const IMMEDIATE_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };
/** How many config problems the one error line of a refused reload names. */
const RELOAD_PROBLEMS_SHOWN = 3;

/**
 * `passgate run` (wired in cli/commands/run-command.ts): starts the gate on the config at
 * `path` and runs it until a stop signal or until every stream reader has ended, with
 * SIGHUP reloads and the systemd notifications. Resolves once the gate has stopped.
 */
export async function runGate(path: string): Promise<void> {
  // An invalid config throws ConfigError: main prints every problem with its path, exit 1.
  const config = loadConfig(path);
  const logger = createCliLogger(config.log.level);
  const daemon = await startDaemon(config, {
    stdin: process.stdin,
    logger,
    clock: systemClock,
    version: packageVersion(),
  });
  const notifier = createServiceNotifier(process.env, logger.child({ component: "service" }));
  await notifier.ready();
  notifier.startWatchdog(() => watchdogHealthy(daemon.health()));

  let stopping = false;
  const onStop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second stop signal: exiting at once");
      process.exit(IMMEDIATE_EXIT[signal] ?? 1);
    }
    stopping = true;
    logger.info({ signal }, "stopping");
    notifier.stopWatchdog();
    void notifier.stopping();
    void daemon.stop();
  };
  const onReload = () => {
    if (stopping) return;
    void reload(path, daemon, notifier, logger);
  };
  process.on("SIGINT", onStop);
  process.on("SIGTERM", onStop);
  process.on("SIGHUP", onReload);
  // A gate runs until it is told to stop. Its handles (the broker's socket, a serial port)
  // can all be gone at once — a gate whose readers are all bridged, while the broker is
  // down — and its retry timers do not hold the process, so this one does.
  const alive = setInterval(() => {}, 2 ** 30);
  await daemon.done;
  clearInterval(alive);
  stopping = true;
  notifier.stopWatchdog();
  await daemon.stop();
  // A stop by signal leaves stdin open, and reading it would keep the process alive.
  process.stdin.destroy();
  process.off("SIGINT", onStop);
  process.off("SIGTERM", onStop);
  process.off("SIGHUP", onReload);
}

/** SIGHUP: a valid config is applied; an invalid one is one error line, and the old config stays. */
async function reload(path: string, daemon: RunningDaemon, notifier: ServiceNotifier, logger: Logger) {
  await notifier.reloading();
  try {
    logger.info({ config: path }, "reloading the config");
    await daemon.reload(loadConfig(path));
  } catch (err) {
    if (err instanceof ConfigError) {
      const lines = formatConfigError(err).split("\n");
      const shown = lines.slice(0, RELOAD_PROBLEMS_SHOWN).join("; ");
      const more =
        lines.length > RELOAD_PROBLEMS_SHOWN ? ` (and ${lines.length - RELOAD_PROBLEMS_SHOWN} more)` : "";
      logger.error(
        { config: path, problems: lines.length },
        `config not reloaded, the gate keeps the running one: ${shown}${more}`,
      );
    } else {
      logger.error({ config: path, err: describeError(err) }, "config reload failed; the gate keeps running");
    }
  } finally {
    await notifier.ready();
  }
}
