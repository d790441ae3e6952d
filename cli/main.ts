import { runCli } from "./run-cli.js";

// A reader that closes the pipe early (`passgate --help | head -1`, `journal tail | less` quit)
// is not an error: stop writing and leave quietly, as Unix tools do on SIGPIPE. Node ignores
// SIGPIPE and reports it as EPIPE on the stream, which would otherwise end in a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// The commands are registered in cli/program.ts and run by cli/run-cli.ts; this file only
// hands them the process's arguments and sets the exit code.
process.exitCode = await runCli(process.argv);
