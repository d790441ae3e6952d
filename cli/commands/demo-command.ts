import { type Command, Option } from "commander";
import { brokerUrl, seconds, wholeNumber } from "../campus-options.js";
import { helpAfter } from "../output.js";

/** The options of `passgate demo`, as commander parsed them. */
export interface DemoOptions {
  readonly dir: string;
  readonly duration?: number;
  readonly gates: number;
  readonly rate: number;
  readonly broker?: string;
  readonly faults: boolean;
  readonly seed?: number;
  readonly logLevel: string;
}

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
    .option(
      "--no-faults",
      "no injected faults (broker restart, registry down, reader or bridge unplugged, clock skew)",
    )
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
      "0 stopped (duration over or Ctrl-C); 1 a gate granted someone it should not have or acted on an unsigned request, or the demo failed; 2 usage error; 130 a second Ctrl-C",
    examples: [
      "passgate demo                                   # until Ctrl-C, site in var/demo",
      "passgate demo --duration 30 | tee demo.txt      # plain lines, stops after 30 s",
      "passgate demo --gates 3 --rate 60 --no-faults",
      "passgate demo --broker mqtt://192.168.1.10:1883 # a real broker instead of the embedded one",
    ],
  });
  demo.action(async (options: DemoOptions) => {
    const { runDemo } = await import("../handlers/demo.js");
    await runDemo(options);
  });
}
