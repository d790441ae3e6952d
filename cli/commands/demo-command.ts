import type { Command } from "commander";
import { systemClock } from "../../daemon/ports/clock.js";
import { runCampusDemo } from "../../sim/demo/campus-demo.js";
import { createCliLogger } from "../cli-logger.js";

/** `passgate demo`: a simulated campus gate on this machine, nothing to set up. */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("run a simulated campus gate: signed allowlist, phones, decisions, journal")
    .option("--dir <dir>", "where the demo site is written (emptied first)", "var/demo")
    .option("--log-level <level>", "gate log level (logs go to stderr)", "warn")
    .action(async (opts: { dir: string; logLevel: string }) => {
      const summary = await runCampusDemo({
        dir: opts.dir,
        clock: systemClock,
        logger: createCliLogger(opts.logLevel),
        out: process.stdout,
      });
      if (!summary.journalOk) process.exitCode = 1;
    });
}
