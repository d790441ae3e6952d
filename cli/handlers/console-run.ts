import { createServiceNotifier } from "../../app/service/sd-notify.js";
import { startConsole } from "../../console/console-app.js";
import { loadConsoleConfig } from "../../console/console-config.js";
import { createLogger } from "../../platform/log/logger.js";

/**
 * `passgate console run`: serves the console until SIGTERM or SIGINT, then stops it (exit 0).
 * Under systemd (scripts/passgate-console.service) it says when it is ready and stopping,
 * and feeds the watchdog while its event loop runs.
 * Logs JSON to stderr; the counters (refused logins, dropped gate messages…) are logged
 * every 10 minutes and at the stop.
 */
export async function consoleRun(configFile: string): Promise<void> {
  const config = loadConsoleConfig(configFile);
  const logger = createLogger({ level: process.env.PASSGATE_LOG_LEVEL ?? "info" });
  const running = await startConsole(config, { logger });
  process.stderr.write(`passgate console: serving ${config.site} on ${running.url}\n`);
  const service = createServiceNotifier(process.env, logger.child({ component: "service" }));
  await service.ready();
  service.startWatchdog(() => true);
  const report = setInterval(
    () => logger.info({ counters: running.counters.snapshot() }, "console counters"),
    600_000,
  );
  report.unref();
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  clearInterval(report);
  service.stopWatchdog();
  await service.stopping();
  logger.info({ counters: running.counters.snapshot() }, "console stopping");
  await running.stop();
}
