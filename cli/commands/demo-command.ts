import { join, resolve } from "node:path";
import { type Command, Option } from "commander";
import { systemClock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import { startCampus } from "../../sim/campus/campus.js";
import { DemoRun, DemoStartError } from "../../sim/demo/demo-run.js";
import { formatDemoSummary, withoutCredentials } from "../../sim/demo/demo-summary.js";
import { GatesLog } from "../../sim/demo/gates-log.js";
import { brokerUrl, seconds, wholeNumber } from "../campus-options.js";
import { helpAfter, useColour } from "../output.js";

interface DemoOptions {
  readonly dir: string;
  readonly duration?: number;
  readonly gates: number;
  readonly rate: number;
  readonly broker?: string;
  readonly faults: boolean;
  readonly seed?: number;
  readonly logLevel: string;
}

/** Exit code after a second Ctrl-C: the shell's convention for "killed by SIGINT". */
const EXIT_INTERRUPTED = 130;

/**
 * `passgate demo`: a whole simulated campus on this machine with nothing to set up — an
 * embedded MQTT broker, the registry, gates with in and out lanes, a crowd — shown live
 * until Ctrl-C. The gates' own logs go to `<dir>/gates.log`, not to the screen.
 */
export function registerDemoCommand(program: Command): void {
  const demo = program
    .command("demo")
    .description("run a simulated campus live: broker, registry, gates and a crowd, until Ctrl-C")
    .option("--dir <dir>", "where the demo site is written (configs, databases, gates.log)", "var/demo")
    .option("--duration <s>", "stop by itself after this many seconds (default: run until Ctrl-C)", seconds)
    .option("--gates <n>", "how many gates, each with an in and an out lane (1–16)", wholeNumber(1, 16), 2)
    .option("--rate <n>", "people per minute per lane (1–600)", wholeNumber(1, 600), 30)
    .option(
      "--broker <url>",
      "use this MQTT broker (mqtt://host:1883) instead of the embedded one",
      brokerUrl,
    )
    .option("--no-faults", "no injected faults (broker restart, registry down, reader unplugged, clock skew)")
    .option("--seed <n>", "seed of the crowd, for a repeatable run", wholeNumber(0, 2 ** 31 - 1))
    .addOption(
      new Option("--log-level <level>", "level of the gates' log in <dir>/gates.log")
        .choices(["trace", "debug", "info", "warn", "error", "silent"])
        .default("info"),
    );
  helpAfter(demo, {
    notes:
      "On a terminal the demo takes over the screen and redraws it four times a second\n" +
      "(keys: q quit, r revoke someone, v add a visitor); piped, it prints one plain line\n" +
      "per event. Ctrl-C stops the campus and prints the summary; a second Ctrl-C leaves at once.",
    exitCodes:
      "0 stopped (duration over or Ctrl-C); 1 a gate granted someone it should not have, or the demo failed; 2 usage error; 130 a second Ctrl-C",
    examples: [
      "passgate demo                                   # until Ctrl-C, site in var/demo",
      "passgate demo --duration 30 | tee demo.txt      # plain lines, stops after 30 s",
      "passgate demo --gates 3 --rate 60 --no-faults",
      "passgate demo --broker mqtt://192.168.1.10:1883 # a real broker instead of the embedded one",
    ],
  });
  demo.action(async (options: DemoOptions) => {
    const dir = resolve(options.dir);
    const gatesLog = new GatesLog(join(dir, "gates.log"));
    const run = new DemoRun(
      {
        dir,
        gates: options.gates,
        rate: options.rate,
        brokerUrl: options.broker,
        faults: options.faults,
        durationMs: options.duration === undefined ? undefined : options.duration * 1000,
        seed: options.seed,
        logger: createLogger({ level: options.logLevel, destination: gatesLog }),
        clock: systemClock,
        out: process.stdout,
        screen: process.stdout.isTTY === true && process.env.TERM !== "dumb",
        color: useColour(process.stdout),
        keys: process.stdout.isTTY === true && process.stdin.isTTY === true ? process.stdin : undefined,
        exitNow: () => process.exit(EXIT_INTERRUPTED),
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
      if (result.summary.falseAccepts > 0) process.exitCode = 1;
    } finally {
      process.off("SIGINT", interrupt);
      process.off("SIGTERM", interrupt);
      gatesLog.close();
    }
  });
}
