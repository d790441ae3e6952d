import type { Command } from "commander";
import { startDaemon } from "../../daemon/daemon.js";
import { systemClock } from "../../daemon/ports/clock.js";
import { createCliLogger } from "../cli-logger.js";
import { cliConfig } from "../cli-storage.js";

/**
 * `passgate run`: the gate daemon. Stops cleanly on SIGINT/SIGTERM, and by itself when
 * every stream reader (stdin) has ended, so `generate tokens | passgate run` finishes.
 */
export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("run the gate: read scans, decide, journal, actuate")
    .action(async () => {
      // An invalid config throws ConfigError: main prints every problem with its path, exit 1.
      const config = cliConfig(program);
      const logger = createCliLogger(config.log.level);
      const daemon = await startDaemon(config, { stdin: process.stdin, logger, clock: systemClock });
      const onSignal = (signal: NodeJS.Signals) => {
        logger.info({ signal }, "stopping");
        void daemon.stop();
      };
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      await daemon.done;
      await daemon.stop();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    });
}
