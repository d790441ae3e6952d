import { CommanderError, InvalidArgumentError } from "commander";
import { describeCliError } from "./cli-errors.js";
import { buildProgram } from "./program.js";

/**
 * Runs one `passgate` command line (`argv` as in `process.argv`: node, script, then the
 * arguments) and resolves with its exit code: 0 ok, 1 a failure, 2 a usage error (see
 * docs/cli.md). Output goes to process.stdout / process.stderr. `cli/main.ts` runs it for
 * the shell; tests run it in-process (test/cli-harness.ts).
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      // Thrown by an action rather than by an option parser, so commander has not shown it.
      process.stderr.write(`${describeCliError(err)}\n`);
      return 2;
    }
    if (err instanceof CommanderError) {
      // Already printed as one line by the program; --help and --version end with 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    // Errors reach a person at a terminal: one clear message, the stack only when asked for.
    process.stderr.write(`${describeCliError(err)}\n`);
    return 1;
  }
}
