import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

/**
 * Field paths that may carry a secret or a live token. They are censored in every log
 * line as a second line of defence: components already log only credential ids and steps.
 */
export const REDACTED_PATHS = [
  "token",
  "*.token",
  "scan",
  "*.scan",
  "text",
  "*.text",
  "secret",
  "*.secret",
  "*.totp.secret",
  "password",
  "*.password",
  "authorization",
  "*.authorization",
  "*.headers.authorization",
];

/**
 * Creates the root logger. Components take `root.child({ component })`.
 * `destination` lets tests read what was logged; the daemon logs JSON to stderr so
 * stdout stays free for command output.
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      base: undefined,
    },
    options.destination ?? pino.destination(2),
  );
}
