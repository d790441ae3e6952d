import { runCli } from "./run-cli.js";

// The commands are registered in cli/program.ts and run by cli/run-cli.ts; this file only
// hands them the process's arguments and sets the exit code.
process.exitCode = await runCli(process.argv);
