import type { Command } from "commander";

/**
 * Applies the usage-error conventions to `command` and every subcommand under it: errors
 * are thrown (not `process.exit`), and a usage error prints as ONE line, commander's
 * message and where to read more: `passgate: unknown option '--jsn' — see "passgate sync status --help"`.
 * Applied after registration, so it reaches commands however they were added.
 */
export function withUsageConventions(command: Command): Command {
  const path = commandPath(command);
  command
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({
      outputError: (text, write) => write(`${usageLine(text, path)}\n`),
    });
  for (const sub of command.commands) withUsageConventions(sub);
  return command;
}

/** `passgate sync status` for the `status` subcommand of `sync`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

function usageLine(text: string, path: string): string {
  const message = text
    .trim()
    .split(/\s*\n\s*/)
    .join(" ")
    .replace(/^error: /, "");
  const prefixed = message.startsWith("passgate: ") ? message : `passgate: ${message}`;
  return prefixed.includes("--help") ? prefixed : `${prefixed} — see "${path} --help"`;
}
