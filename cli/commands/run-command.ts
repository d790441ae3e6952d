import type { Command } from "commander";
import { type RunningDaemon, startDaemon } from "../../app/gate-app.js";
import { createServiceNotifier, type ServiceNotifier } from "../../app/service/sd-notify.js";
import { ConfigError, formatConfigError, loadConfig, resolveConfigPath } from "../../config/load-config.js";
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
 * `passgate run`: the gate daemon. SIGTERM/SIGINT stop it cleanly (exit 0): readers
 * first, the decision in flight finishes, relays are left closed, `offline` is published
 * and the journal is checkpointed; a second signal exits at once (130/143). SIGHUP
 * re-reads the config and applies what can change live (docs/operations.md). It also
 * stops by itself when every stream reader (stdin) has ended, so
 * `generate tokens | passgate run` finishes. Under systemd (`NOTIFY_SOCKET`) it reports
 * READY, RELOADING, STOPPING and feeds the watchdog while the gate is healthy.
 */
export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("run the gate: read scans, decide, journal, actuate")
    .addHelpText(
      "after",
      `
Signals:
  SIGTERM, SIGINT   stop cleanly (exit 0); a second one exits at once (143, 130)
  SIGHUP            reload the config; an invalid one is logged and the gate keeps the old

Exit codes: 0 stopped cleanly, 1 could not start (e.g. invalid config).

Examples:
  passgate --config /etc/passgate/passgate.yaml run
  passgate sim phone --credential 42 --totp-secret SECRET --count 2 | passgate -c gate.yaml run
  systemctl reload passgate          # sends SIGHUP`,
    )
    .action(async () => {
      const path = resolveConfigPath(program.opts<{ config?: string }>().config);
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
      notifier.startWatchdog(() => daemon.health().ok);

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
      await daemon.done;
      stopping = true;
      notifier.stopWatchdog();
      await daemon.stop();
      // A stop by signal leaves stdin open, and reading it would keep the process alive.
      process.stdin.destroy();
      process.off("SIGINT", onStop);
      process.off("SIGTERM", onStop);
      process.off("SIGHUP", onReload);
    });
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
