import { ConfigError, formatConfigError, loadBridgeConfig } from "../../config/load-config.js";
import { runBridgeDoctor } from "../doctor/bridge-checks.js";
import type { CheckResult } from "../doctor/doctor-check.js";
import { type DoctorPorts, systemPorts } from "../doctor/doctor-ports.js";
import { reportChecks } from "../handlers/doctor.js";
import { findDevices } from "../setup/find-devices.js";

/** `passgate bridge doctor [--json]`: every check a reader bridge needs, each with a fix. */
export async function bridgeDoctor(
  configFile: string,
  options: { readonly json?: boolean | undefined },
  ports: DoctorPorts = systemPorts(findDevices),
): Promise<void> {
  let checks: CheckResult[];
  try {
    checks = await runBridgeDoctor({ configFile, config: loadBridgeConfig(configFile) }, ports);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const finding = formatConfigError(err).split("\n").join("; ");
    checks = [{ id: "config", status: "fail", finding, fix: "passgate bridge init (docs/bridge.md)" }];
  }
  reportChecks(checks, options.json === true);
}
