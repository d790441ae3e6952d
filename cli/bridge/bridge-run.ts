import { startBridge } from "../../app/bridge/bridge-app.js";
import { createServiceNotifier } from "../../app/service/sd-notify.js";
import type { BridgeConfig } from "../../config/bridge-schema.js";
import { systemClock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import { stderrDestination } from "../cli-logger.js";
import { packageVersion } from "../package-version.js";

/** `passgate bridge run`: runs the bridge until SIGTERM/SIGINT, or until its stdin reader's input ends. */
export async function bridgeRun(config: BridgeConfig): Promise<void> {
  const logger = createLogger({ level: config.log.level, destination: stderrDestination });
  const bridge = await startBridge(config, {
    clock: systemClock,
    logger,
    stdin: process.stdin,
    version: packageVersion(),
  });
  // Under systemd (Type=notify): ready once the readers started; the watchdog is fed while
  // the event loop runs.
  const notifier = createServiceNotifier(process.env, logger.child({ component: "service" }));
  await notifier.ready();
  notifier.startWatchdog(() => true);
  const stop = () => {
    notifier.stopWatchdog();
    void notifier.stopping();
    void bridge.stop();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  // Runs until told to stop, also while the broker and every reader are away (their retry
  // timers do not hold the process).
  const alive = setInterval(() => {}, 2 ** 30);
  await bridge.done;
  clearInterval(alive);
  notifier.stopWatchdog();
  await bridge.stop();
  process.off("SIGTERM", stop);
  process.off("SIGINT", stop);
}
