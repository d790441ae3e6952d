import type { Command } from "commander";
import { ConfigError, formatConfigError, resolveConfigPath } from "../../config/load-config.js";
import type { Config } from "../../config/schema.js";
import { type Clock, systemClock } from "../../platform/clock.js";
import type { CheckResult } from "../doctor/doctor-check.js";
import { type DoctorPorts, systemPorts } from "../doctor/doctor-ports.js";
import { runDoctor } from "../doctor/run-doctor.js";
import { helpAfter, type Palette, palette, printJson } from "../output.js";
import { findDevices } from "../setup/find-devices.js";

/**
 * `passgate doctor [--json]`: checks the config, file permissions, database, disk, readers
 * and udev rules, clock, broker, registry and allowlist age, each with a finding and a fix.
 * Exit 1 when a check fails (warnings alone exit 0). `ports` is the machine; tests pass their own.
 */
export function registerDoctorCommand(
  program: Command,
  loadConfig: () => Config,
  clock: Clock = systemClock,
  ports: () => DoctorPorts = () => systemPorts(findDevices),
): void {
  const doctor = program
    .command("doctor")
    .description("check this gate's set-up: each finding with ok/warn/fail and how to fix it")
    .option("--json", "one JSON document: {ok, checks: [{id, status, finding, fix}]}")
    .option("--service-user <user>", "the user the service runs as (owner of the secret files)", "passgate")
    .action(async (options: { json?: boolean; serviceUser: string }) => {
      const configFile = resolveConfigPath(program.opts<{ config?: string }>().config);
      let checks: CheckResult[];
      try {
        const config = loadConfig();
        checks = await runDoctor(
          { configFile, config, serviceUser: options.serviceUser, now: clock.now() },
          ports(),
        );
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        const finding = formatConfigError(err).split("\n").join("; ");
        checks = [
          { id: "config", status: "fail", finding, fix: `passgate --config ${configFile} config check` },
        ];
      }
      const failed = checks.some((c) => c.status === "fail");
      if (options.json === true) printJson({ ok: !failed, checks });
      else process.stdout.write(formatChecks(checks, palette(process.stdout)));
      if (failed) process.exitCode = 1;
    });
  helpAfter(doctor, {
    notes:
      "Run it as the service user to see what the daemon sees: sudo -u passgate passgate -c /etc/passgate/passgate.yaml doctor",
    exitCodes: "0 every check ok or warn; 1 at least one check failed (or the config is broken); 2 bad flag",
    examples: ["passgate doctor", "passgate doctor --json | jq '.checks[] | select(.status != \"ok\")'"],
  });
}

function formatChecks(checks: readonly CheckResult[], p: Palette): string {
  const word = { ok: p.ok("ok  "), warn: p.warn("WARN"), fail: p.fail("FAIL") };
  const lines = checks.map((c) => {
    const fix = c.fix === undefined || c.status === "ok" ? "" : `\n       ${p.dim(`fix: ${c.fix}`)}`;
    return `${word[c.status]}  ${c.id.padEnd(22)} ${c.finding}${fix}`;
  });
  const fails = checks.filter((c) => c.status === "fail").length;
  const warns = checks.filter((c) => c.status === "warn").length;
  return `${lines.join("\n")}\n\n${fails} failed, ${warns} warnings, ${checks.length - fails - warns} ok\n`;
}
