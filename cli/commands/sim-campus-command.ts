import type { Command } from "commander";
import { brokerUrl, seconds, wholeNumber } from "../campus-options.js";
import { helpAfter, usageError } from "../output.js";

/** The options of `passgate sim campus`, as commander parsed them. */
export interface CampusCommandOptions {
  readonly duration: number;
  readonly gates: number;
  readonly rate: number;
  readonly seed?: number;
  readonly bridged?: number;
  readonly broker?: string;
  readonly faults: boolean;
  readonly dir?: string;
  readonly json?: boolean;
  readonly processes?: boolean;
}

/** Gates in this process at most (one event loop decides for all), and as processes. */
const IN_PROCESS_GATES = 16;
const PROCESS_GATES = 64;

/**
 * `passgate sim campus`: a whole campus run headless for CI — the same engine as the
 * demo, no live view — printing the summary and failing on a false accept, a late open,
 * a broken journal, a guard desk's request not answered as expected, or a request of the
 * intruder acted on.
 */
export function registerSimCampusCommand(sim: Command): void {
  const campus = sim
    .command("campus")
    .description("run a simulated campus headless and check the gates' answers")
    .requiredOption("--duration <s>", "how long the crowd arrives, seconds", seconds)
    .option(
      "--gates <n>",
      `how many gates, each with an in and an out lane (1–${IN_PROCESS_GATES}; with --processes 1–${PROCESS_GATES})`,
      wholeNumber(1, PROCESS_GATES),
      2,
    )
    .option("--rate <n>", "people per minute per lane (1–600)", wholeNumber(1, 600), 30)
    .option("--seed <n>", "seed of the crowd, for a repeatable run", wholeNumber(0, 2 ** 31 - 1))
    .option(
      "--bridged <n>",
      "lanes read through a reader bridge (default: one lane of every second gate; at most every lane)",
      wholeNumber(0, 32),
    )
    .option("--broker <url>", "a real MQTT 5 broker instead of the embedded one", brokerUrl)
    .option(
      "--no-faults",
      "no injected faults (broker restart, registry down, reader or bridge unplugged, clock skew)",
    )
    .option(
      "--dir <dir>",
      "keep the gates' configs and databases here (default: a temporary directory, removed)",
    )
    .option(
      "--processes",
      "run each gate as its own `passgate run` process (needs the built CLI); one is killed and restarted each cycle",
    )
    .option("--json", "print the summary as one JSON object");
  helpAfter(campus, {
    notes:
      "Every scan carries what a correct gate must answer; docs/simulator.md lists the\n" +
      "scenarios, the faults and the rules for false accepts and false rejects.",
    exitCodes:
      "0 no false accept, no late open, every journal verified, the guard desk answered, nothing done for the intruder; 1 any of those failed, or the run failed; 2 usage error",
    examples: [
      "passgate sim campus --duration 60",
      "passgate sim campus --duration 30 --gates 3 --rate 60 --seed 7 --json",
      "passgate sim campus --duration 60 --bridged 4   # every lane of 2 gates through a bridge",
      "passgate sim campus --duration 60 --no-faults --dir var/campus   # keep the gates' databases",
      "passgate sim campus --duration 60 --broker mqtt://127.0.0.1:1883",
      "passgate sim campus --duration 90 --gates 50 --processes --json   # 50 gate processes",
    ],
  });
  campus.action(async (options: CampusCommandOptions) => {
    if (options.processes !== true && options.gates > IN_PROCESS_GATES)
      usageError(
        campus,
        `--gates ${options.gates}: at most ${IN_PROCESS_GATES} in one process; add --processes for more`,
      );
    const { simCampus } = await import("../handlers/sim-campus.js");
    await simCampus(options);
  });
}
