import type { Command } from "commander";
import { type Clock, systemClock } from "../../platform/clock.js";
import type { CliContext } from "../cli-context.js";
import type { DoctorPorts } from "../doctor/doctor-ports.js";
import { helpAfter } from "../output.js";

/**
 * `passgate doctor [--json]`: checks the config, file permissions, database, disk, readers
 * and udev rules, clock, broker, registry and allowlist age, each with a finding and a fix
 * (cli/handlers/doctor.ts). Exit 1 when a check fails (warnings alone exit 0). `ports` is
 * the machine unless a test gives its own.
 */
export function registerDoctorCommand(
  program: Command,
  ctx: CliContext,
  clock: Clock = systemClock,
  ports?: () => DoctorPorts,
): void {
  const doctor = program
    .command("doctor")
    .description("check this gate's set-up: each finding with ok/warn/fail and how to fix it")
    .option("--json", "one JSON document: {ok, checks: [{id, status, finding, fix}]}")
    .option("--service-user <user>", "the user the service runs as (owner of the secret files)", "passgate")
    .action(async (options: { json?: boolean; serviceUser: string }) => {
      const { doctor } = await import("../handlers/doctor.js");
      await doctor(await ctx.configFile(), () => ctx.config(), options, clock.now(), ports?.());
    });
  helpAfter(doctor, {
    notes:
      "Run it as the service user to see what the daemon sees: sudo -u passgate passgate -c /etc/passgate/passgate.yaml doctor",
    exitCodes: "0 every check ok or warn; 1 at least one check failed (or the config is broken); 2 bad flag",
    examples: ["passgate doctor", "passgate doctor --json | jq '.checks[] | select(.status != \"ok\")'"],
  });
}
