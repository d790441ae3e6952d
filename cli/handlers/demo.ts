import { join, resolve } from "node:path";
import { systemClock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import { startCampus } from "../../sim/campus/campus.js";
import { CAMPUS_SITE } from "../../sim/campus/campus-config.js";
import { makeDemoConsoleKey, startDemoConsole } from "../../sim/demo/demo-console.js";
import { DemoRun, DemoStartError } from "../../sim/demo/demo-run.js";
import { formatDemoSummary, withoutCredentials } from "../../sim/demo/demo-summary.js";
import { GatesLog } from "../../sim/demo/gates-log.js";
import type { DemoOptions } from "../commands/demo-command.js";
import { useColour } from "../output.js";

/** Exit code after a second Ctrl-C: the shell's convention for "killed by SIGINT". */
const EXIT_INTERRUPTED = 130;

/**
 * `passgate demo` (wired in cli/commands/demo-command.ts): runs the simulated campus with
 * its live view until the duration is over, Ctrl-C or a closed pipe, then prints the
 * summary; exit code 1 when a gate granted someone it should not have, or acted on a
 * request no operator signed.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const dir = resolve(options.dir);
  const gatesLog = new GatesLog(join(dir, "gates.log"));
  const logger = createLogger({ level: options.logLevel, destination: gatesLog });
  const consoleKey = makeDemoConsoleKey();
  const run = new DemoRun(
    {
      dir,
      gates: options.gates,
      rate: options.rate,
      brokerUrl: options.broker,
      faults: options.faults,
      durationMs: options.duration === undefined ? undefined : options.duration * 1000,
      seed: options.seed,
      logger,
      clock: systemClock,
      out: process.stdout,
      screen: process.stdout.isTTY === true && process.env.TERM !== "dumb",
      color: useColour(process.stdout),
      keys: process.stdout.isTTY === true && process.stdin.isTTY === true ? process.stdin : undefined,
      exitNow: () => process.exit(EXIT_INTERRUPTED),
      console: {
        member: consoleKey.member,
        start: (campus, embeddedBroker) =>
          startDemoConsole({
            dir,
            site: CAMPUS_SITE,
            brokerUrl: campus.brokerUrl,
            protocolVersion: embeddedBroker ? 4 : 5,
            key: consoleKey,
            logger,
          }),
      },
    },
    startCampus,
  );
  const interrupt = () => run.interrupt();
  // A closed pipe (`passgate demo | head`) stops the campus like Ctrl-C would.
  let outputClosed = false;
  const onOutputError = () => {
    if (outputClosed) return;
    outputClosed = true;
    run.interrupt();
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  process.stdout.on("error", onOutputError);
  try {
    const result = await run.run().catch((err: unknown) => {
      // A campus that fails part-way through starting may leave a server or a client
      // open; the error is printed by main, then the process must still end.
      if (err instanceof DemoStartError) setTimeout(() => process.exit(1), 2_000).unref();
      throw err;
    });
    if (!outputClosed) {
      process.stdout.write(
        formatDemoSummary(result.summary, {
          dir,
          gates: result.campus.gates,
          brokerUrl: withoutCredentials(result.campus.brokerUrl),
          interrupted: result.interrupted,
        }),
      );
    }
    if (result.summary.falseAccepts > 0 || result.summary.operators.intruderActedOn > 0) process.exitCode = 1;
  } finally {
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
    gatesLog.close();
  }
}
