import { ConfigError, loadConfig } from "../../config/load-config.js";
import type { Config } from "../../config/schema.js";
import { missingConfigMessage } from "../cli-errors.js";
import { type LineOutput, reportingConfigErrors } from "../setup/report-config-errors.js";

/** What `config check --json` prints: every problem, `ok` when there is none. */
export interface ConfigCheckReport {
  readonly file: string;
  readonly ok: boolean;
  readonly problems: readonly {
    readonly path: string;
    readonly line: number | null;
    readonly column: number | null;
    readonly message: string;
  }[];
}

/**
 * `passgate config check`: validates the config `file`; prints a one-line summary, or
 * every problem with its line (as JSON with `json`). Sets exit code 1 when there is any.
 */
export function configCheck(file: string, options: { readonly json: boolean }, io: LineOutput): void {
  if (options.json) {
    const report = checkReport(file);
    io.out(JSON.stringify(report));
    if (!report.ok) process.exitCode = 1;
    return;
  }
  reportingConfigErrors(io, () => io.out(`config OK: ${summarize(loadConfig(file))}`));
}

function checkReport(file: string): ConfigCheckReport {
  try {
    loadConfig(file);
    return { file, ok: true, problems: [] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problems = error.issues.map((issue) => ({
      path: issue.path,
      line: issue.line ?? null,
      column: issue.column ?? null,
      message:
        error.code === "CONFIG_NOT_FOUND"
          ? missingConfigMessage(file).replace(/^passgate: /, "")
          : issue.message,
    }));
    return { file, ok: false, problems };
  }
}

/** `site demo-campus, gate main-1, 1 reader, 1 relay, 4 rules` */
function summarize(config: Config): string {
  const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;
  return [
    `site ${config.site}`,
    `gate ${config.gate}`,
    count(config.readers.length, "reader"),
    count(config.relays.length, "relay"),
    count(config.policy.rules.length, "rule"),
  ].join(", ");
}
