import type { DestinationStream } from "pino";
import { createLogger, type Logger } from "../platform/log/logger.js";

/**
 * Log lines go through `process.stderr`, not a file descriptor of their own, so they go
 * wherever the command's other messages go, including a capture of them (a command run
 * in-process); on Linux, writes to a pipe, file or terminal on stderr are synchronous.
 */
export const stderrDestination: DestinationStream = {
  write: (line: string) => {
    process.stderr.write(line);
  },
};

/** The CLI's root logger: JSON lines on stderr, so stdout carries only command output. */
export function createCliLogger(level = "info"): Logger {
  return createLogger({ level: process.env.PASSGATE_LOG_LEVEL ?? level, destination: stderrDestination });
}
