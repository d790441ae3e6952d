import type { Config } from "../../config/schema.js";
import { fetchDaemonStatus } from "../ops/daemon-status.js";
import { gateTimeFormatter } from "../ops/gate-time.js";
import { buildStatusReport } from "../ops/status-report.js";
import { formatStatusText } from "../ops/status-text.js";
import { palette, printJson } from "../output.js";

/**
 * `passgate status [--json]`: the database's part read read-only, the live part from the
 * daemon's `GET /status`. Journal times in the gate's zone unless `utc`. Resolves with whether the daemon answered.
 */
export async function showStatus(
  config: Config,
  options: { readonly json?: boolean; readonly utc?: boolean },
  now: number,
): Promise<boolean> {
  const daemon = await fetchDaemonStatus(config);
  const report = buildStatusReport(config, daemon, now);
  if (options.json === true) printJson(report);
  else
    process.stdout.write(
      formatStatusText(
        report,
        config,
        palette(process.stdout),
        gateTimeFormatter(config.timezone, options.utc),
      ),
    );
  return daemon.reachable;
}
