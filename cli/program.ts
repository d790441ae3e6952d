import { Command } from "commander";
import { cliContext } from "./cli-context.js";
import { configuredAllowlistStore, registerAllowlistCommand } from "./commands/allowlist-command.js";
import { registerBridgeCommand } from "./commands/bridge-command.js";
import { registerBrokerCommand } from "./commands/broker-command.js";
import { registerConfigCommand } from "./commands/config-command.js";
import { registerConsoleCommand } from "./commands/console-command.js";
import { registerDbCommand } from "./commands/db-command.js";
import { registerDemoCommand } from "./commands/demo-command.js";
import { registerDoctorCommand } from "./commands/doctor-command.js";
import { registerEventsCommand } from "./commands/events-command.js";
import { registerGateCommand } from "./commands/gate-command.js";
import { registerIdentityCommand } from "./commands/identity-command.js";
import { registerInitCommand } from "./commands/init-command.js";
import { configuredJournalDb, registerJournalCommand } from "./commands/journal-command.js";
import { registerKeysCommand } from "./commands/keys-command.js";
import { configuredModeGate, registerModeCommand } from "./commands/mode-command.js";
import { registerPolicyCommand } from "./commands/policy-command.js";
import { registerReadersCommand } from "./commands/readers-command.js";
import { registerRelayCommand } from "./commands/relay-command.js";
import { registerRunCommand } from "./commands/run-command.js";
import { registerSimCommand } from "./commands/sim-command.js";
import { registerStatusCommand } from "./commands/status-command.js";
import { registerSyncCommand } from "./commands/sync-command.js";
import { registerTokenCommand } from "./commands/token-command.js";
import { registerTrustCommand } from "./commands/trust-command.js";
import { examples } from "./output.js";
import { packageVersion } from "./package-version.js";
import { withUsageConventions } from "./usage-conventions.js";

/**
 * The `passgate` command with every subcommand registered. Parsing it throws a
 * `CommanderError` instead of exiting (exit code 0 for --help and --version, else a usage
 * error, already printed as one line); `cli/main.ts` turns that into exit code 2.
 */
export function buildProgram(): Command {
  const program = new Command("passgate")
    .description("passgate: the access-control daemon of a campus turnstile")
    .version(packageVersion())
    .option("-c, --config <file>", "config file (default: $PASSGATE_CONFIG, else ./passgate.yaml)")
    .addHelpText(
      "after",
      `
Exit codes: 0 ok; 1 failure or a check failed; 2 usage error or unreadable input file;
3 the running daemon is not reachable (commands that need it). See docs/cli.md.
${examples(
  "passgate init                                   # write a first config, asking on a terminal",
  "passgate --config /etc/passgate/passgate.yaml doctor",
  "passgate status --json | jq .mode",
  "passgate <command> --help                       # options and examples of one command",
)}`,
    );

  // The config and the database are loaded only by the command that runs (cli/cli-context.ts).
  const ctx = cliContext(program);

  // Running a gate, and the simulator.
  registerRunCommand(program, ctx);
  registerDemoCommand(program);
  registerSimCommand(program);
  registerTokenCommand(program);

  // Setting a gate up: config, identity and wiring, readers, relays, policy.
  registerInitCommand(program, ctx);
  registerConfigCommand(program, ctx);
  registerKeysCommand(program, ctx);
  registerTrustCommand(program, ctx);
  registerBrokerCommand(program, ctx);
  registerBridgeCommand(program);
  registerGateCommand(program, ctx);
  registerReadersCommand(program, ctx);
  registerRelayCommand(program, ctx);
  registerPolicyCommand(program, ctx);

  // Daily operation: the allowlist, sync, mode, status, lookups, journal and events, checks.
  registerAllowlistCommand(program, configuredAllowlistStore(ctx));
  registerSyncCommand(program, ctx);
  registerModeCommand(program, configuredModeGate(ctx), undefined, () => ctx.config());
  registerStatusCommand(program, ctx);
  registerIdentityCommand(program, ctx);
  registerJournalCommand(program, configuredJournalDb(ctx));
  registerEventsCommand(program, ctx);
  registerDoctorCommand(program, ctx);
  registerDbCommand(program, ctx);
  registerConsoleCommand(program);

  return withUsageConventions(program);
}
