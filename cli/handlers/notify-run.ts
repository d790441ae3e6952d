import { createServiceNotifier } from "../../app/service/sd-notify.js";
import { startNotifier } from "../../notify/notify-app.js";
import { systemClock } from "../../platform/clock.js";
import { describeError } from "../../platform/log/describe-error.js";
import { createLogger } from "../../platform/log/logger.js";
import { stderrDestination } from "../cli-logger.js";
import { loadNotifyConfigFile } from "./notify-load.js";
import { untilStopSignal } from "./until-stop-signal.js";

/** `passgate notify run`: runs the notifier until SIGTERM or SIGINT; deliveries under way finish first. */
export async function notifyRun(file: string): Promise<void> {
  const config = loadNotifyConfigFile(file);
  const logger = createLogger({
    level: process.env.PASSGATE_LOG_LEVEL ?? config.log.level,
    destination: stderrDestination,
  });
  const notifier = await startNotifier(config, { clock: systemClock, logger });
  // Under systemd (Type=notify): ready once the queue is open and the intake listens; the
  // watchdog is fed while the event loop runs.
  const service = createServiceNotifier(process.env, logger.child({ component: "service" }));
  await service.ready();
  service.startWatchdog(() => true);
  // SIGHUP (systemctl reload): the guardians file and the gates' roster are read again, so a
  // withdrawn consent takes effect without a restart; a broken file keeps the ones in force.
  const reload = () => {
    void (async () => {
      await service.reloading();
      try {
        notifier.reload();
      } catch (err) {
        logger.error({ err: describeError(err) }, "reload refused: the files in force are kept");
      }
      await service.ready();
    })();
  };
  process.on("SIGHUP", reload);
  const signal = await untilStopSignal();
  process.off("SIGHUP", reload);
  logger.info({ signal }, "stopping");
  service.stopWatchdog();
  await service.stopping();
  await notifier.stop();
}
