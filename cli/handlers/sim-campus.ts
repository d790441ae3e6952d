import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { systemClock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import { startCampus } from "../../sim/campus/campus.js";
import { campusPassed } from "../../sim/campus/summary.js";
import { formatCampusSummary } from "../../sim/campus/summary-table.js";
import type { CampusCommandOptions } from "../commands/sim-campus-command.js";

/**
 * `passgate sim campus` (wired in cli/commands/sim-campus-command.ts): runs the campus
 * headless until its duration is over (or SIGINT/SIGTERM), prints the summary, and sets
 * exit code 1 on a false accept, a late open or a journal that fails verification.
 */
export async function simCampus(options: CampusCommandOptions): Promise<void> {
  const dir =
    options.dir === undefined ? mkdtempSync(join(tmpdir(), "passgate-campus-")) : resolve(options.dir);
  const running = await startCampus({
    dir,
    gates: options.gates,
    ...(options.bridged !== undefined && { bridgedLanes: options.bridged }),
    peoplePerMinutePerLane: options.rate,
    brokerUrl: options.broker,
    faults: options.faults,
    durationMs: options.duration * 1000,
    seed: options.seed,
    processes: options.processes === true,
    // The gates' own logs would drown the summary; errors still show on stderr.
    logger: createLogger({ level: "silent" }),
    clock: systemClock,
  });
  const interrupt = () => void running.stop();
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  try {
    const summary = await running.done;
    process.stdout.write(
      options.json === true ? `${JSON.stringify(summary)}\n` : formatCampusSummary(summary),
    );
    if (!campusPassed(summary)) process.exitCode = 1;
  } finally {
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
    if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}
