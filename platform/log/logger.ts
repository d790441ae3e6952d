import { type DestinationStream, type Logger, pino } from "pino";
import { censor, censorTree } from "./censor.js";

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

const CENSOR_TREE = censorTree(REDACTED_PATHS);

/**
 * Creates the root logger. Components take `root.child({ component })`.
 * `destination` lets tests read what was logged; the daemon logs JSON to stderr so
 * stdout stays free for command output.
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const root = pino(
    {
      level: options.level ?? "info",
      // Censored by the project's own censor (censor.ts says why not pino's `redact`): each
      // line's fields here, a child's bindings below.
      formatters: { log: (fields) => censor(fields, CENSOR_TREE) as Record<string, unknown> },
      base: undefined,
    },
    options.destination ?? pino.destination(2),
  );
  // pino applies no formatter to a child's bindings (it writes them once, at the child's
  // creation), so they are censored on their way in. Children are made from their parent
  // (Object.create), so every descendant has this `child`.
  const child = root.child;
  root.child = function censoredChild(this: Logger, bindings, childOptions) {
    return child.call(this, censor(bindings, CENSOR_TREE) as typeof bindings, childOptions);
  } as typeof root.child;
  return root;
}
