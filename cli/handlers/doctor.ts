import { ConfigError, formatConfigError } from "../../config/load-config.js";
import type { Config } from "../../config/schema.js";
import type { CheckResult } from "../doctor/doctor-check.js";
import { type DoctorPorts, systemPorts } from "../doctor/doctor-ports.js";
import { runDoctor } from "../doctor/run-doctor.js";
import { escapeLine } from "../ops/escape-control.js";
import { type Palette, palette, printJson } from "../output.js";
import { findDevices } from "../setup/find-devices.js";

export interface DoctorOptions {
  readonly json?: boolean;
  /** The user the service runs as (owner of the secret files). */
  readonly serviceUser: string;
}

/**
 * `passgate doctor [--json]`: every check of the gate named by `configFile`, each with a
 * finding and a fix; a config that does not load is itself the one failed check. The
 * database is only ever opened read-only. `ports` is the machine unless a test gives its
 * own. Sets exit code 1 when a check fails (warnings alone leave 0).
 */
export async function doctor(
  configFile: string,
  loadConfig: () => Promise<Config>,
  options: DoctorOptions,
  now: number,
  ports: DoctorPorts = systemPorts(findDevices),
): Promise<void> {
  let checks: CheckResult[];
  try {
    const config = await loadConfig();
    checks = await runDoctor({ configFile, config, serviceUser: options.serviceUser, now }, ports);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const finding = formatConfigError(err).split("\n").join("; ");
    checks = [{ id: "config", status: "fail", finding, fix: `passgate --config ${configFile} config check` }];
  }
  reportChecks(checks, options.json === true);
}

/** Prints `checks` as a list (or JSON `{ok, checks}`); exit code 1 when one failed. */
export function reportChecks(checks: readonly CheckResult[], json: boolean): void {
  const failed = checks.some((c) => c.status === "fail");
  if (json) printJson({ ok: !failed, checks });
  else process.stdout.write(formatChecks(checks, palette(process.stdout)));
  if (failed) process.exitCode = 1;
}

function formatChecks(checks: readonly CheckResult[], p: Palette): string {
  const word = { ok: p.ok("ok  "), warn: p.warn("WARN"), fail: p.fail("FAIL") };
  const lines = checks.map((c) => {
    // A finding can quote the registry, the broker or a device: printed escaped.
    const fix =
      c.fix === undefined || c.status === "ok" ? "" : `\n       ${p.dim(`fix: ${escapeLine(c.fix)}`)}`;
    return `${word[c.status]}  ${c.id.padEnd(22)} ${escapeLine(c.finding)}${fix}`;
  });
  const fails = checks.filter((c) => c.status === "fail").length;
  const warns = checks.filter((c) => c.status === "warn").length;
  return `${lines.join("\n")}\n\n${fails} failed, ${warns} warnings, ${checks.length - fails - warns} ok\n`;
}
