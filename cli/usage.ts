import type { Command } from "commander";
import { safeJson } from "./ops/escape-control.js";

/**
 * Stops with a one-line usage error and exit code 2: throws commander's CommanderError,
 * which cli/program.ts prints as one line and cli/main.ts turns into the exit code.
 */
export function usageError(command: Command, message: string): never {
  command.error(`passgate: ${message}`, { exitCode: 2, code: "passgate.usage" });
}

/** Prints a value as one JSON document (control characters escaped: see `safeJson`). */
export function printJson(value: unknown): void {
  process.stdout.write(`${safeJson(value, 2)}\n`);
}
