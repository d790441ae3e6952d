import { Command } from "commander";
import { ConfigError, formatConfigError } from "../config/load-config.js";
import { cliConfig, openCliDatabase, openCliStore } from "./cli-storage.js";
import { registerAllowlistCommand } from "./commands/allowlist-command.js";
import { registerConfigCommand } from "./commands/config-command.js";
import { registerDemoCommand } from "./commands/demo-command.js";
import { registerJournalCommand } from "./commands/journal-command.js";
import { registerModeCommand } from "./commands/mode-command.js";
import { registerReadersCommand } from "./commands/readers-command.js";
import { registerRunCommand } from "./commands/run-command.js";
import { registerSimCommand } from "./commands/sim-command.js";
import { registerSyncCommand } from "./commands/sync-command.js";
import { registerTokenCommand } from "./commands/token-command.js";
import { packageVersion } from "./package-version.js";

const program = new Command("passgate")
  .description("passgate: the access-control daemon of a campus turnstile")
  .version(packageVersion())
  .option("-c, --config <file>", "config file (default: $PASSGATE_CONFIG, else ./passgate.yaml)")
  .showHelpAfterError();

registerRunCommand(program);
registerDemoCommand(program);
registerConfigCommand(program);
registerAllowlistCommand(program, () => openCliStore(program));
registerJournalCommand(program, () => openCliDatabase(program));
registerModeCommand(program, () => ({
  db: openCliDatabase(program),
  gate: cliConfig(program).gate,
  configMode: cliConfig(program).policy.mode,
}));
registerTokenCommand(program);
registerSimCommand(program);
registerReadersCommand(program);
registerSyncCommand(program, () => cliConfig(program));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Errors reach a person at a terminal: one clear message, the stack only when asked for.
  if (err instanceof ConfigError) process.stderr.write(`${formatConfigError(err)}\n`);
  else if (process.env.PASSGATE_DEBUG)
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  else process.stderr.write(`passgate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
