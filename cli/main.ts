import { CommanderError, InvalidArgumentError } from "commander";
import { describeCliError } from "./cli-errors.js";
import { buildProgram } from "./program.js";

// The commands are registered in cli/program.ts; this file only runs them.
const program = buildProgram();

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof InvalidArgumentError) {
    // Thrown by an action rather than by an option parser, so commander has not shown it.
    process.stderr.write(`${describeCliError(err)}\n`);
    process.exitCode = 2;
  } else if (err instanceof CommanderError) {
    // Already printed as one line by the program; --help and --version end with 0.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    // Errors reach a person at a terminal: one clear message, the stack only when asked for.
    process.stderr.write(`${describeCliError(err)}\n`);
    process.exitCode = 1;
  }
}
