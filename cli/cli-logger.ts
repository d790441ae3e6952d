import { createLogger, type Logger } from "../platform/log/logger.js";

/** The CLI's root logger: JSON lines on stderr, so stdout carries only command output. */
export function createCliLogger(level = "info"): Logger {
  return createLogger({ level: process.env.PASSGATE_LOG_LEVEL ?? level });
}
