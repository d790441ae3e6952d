import type { Command } from "commander";
import type { CliContext } from "../cli-context.js";

/**
 * `passgate run`: the gate daemon. SIGTERM/SIGINT stop it cleanly (exit 0): readers
 * first, the decision in flight finishes, relays are left closed, `offline` is published
 * and the journal is checkpointed; a second signal exits at once (130/143). SIGHUP
 * re-reads the config and applies what can change live (docs/operations.md). It also
 * stops by itself when every stream reader (stdin) has ended, so
 * `generate tokens | passgate run` finishes. Under systemd (`NOTIFY_SOCKET`) it reports
 * READY, RELOADING, STOPPING and feeds the watchdog while the gate is healthy
 * (cli/handlers/run-gate.ts).
 */
export function registerRunCommand(program: Command, ctx: CliContext): void {
  program
    .command("run")
    .description("run the gate: read scans, decide, journal, actuate")
    .addHelpText(
      "after",
      `
Signals:
  SIGTERM, SIGINT   stop cleanly (exit 0); a second one exits at once (143, 130)
  SIGHUP            reload the config; an invalid one is logged and the gate keeps the old

Exit codes: 0 stopped cleanly, 1 could not start (e.g. invalid config).

Examples:
  passgate --config /etc/passgate/passgate.yaml run
  passgate sim phone --credential 42 --totp-secret SECRET --count 2 | passgate -c gate.yaml run
  systemctl reload passgate          # sends SIGHUP`,
    )
    .action(async () => {
      const { runGate } = await import("../handlers/run-gate.js");
      // An invalid config throws ConfigError: main prints every problem with its path, exit 1.
      await runGate(await ctx.configFile());
    });
}
