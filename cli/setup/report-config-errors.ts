import { ConfigError, formatConfigError } from "../../config/load-config.js";
import { missingConfigMessage } from "../cli-errors.js";

/**
 * Where the `config` commands print, one line at a time: results to `out`, problems to
 * `err`. The wiring hands the root program's configured output (stdout and stderr unless
 * a test configured it).
 */
export interface LineOutput {
  out(line: string): void;
  err(line: string): void;
}

/**
 * Runs `run`; a `ConfigError` it throws is printed as its issue lines (after its summary
 * line if `withSummary`) and sets exit code 1; other errors are thrown on.
 */
export function reportingConfigErrors(io: LineOutput, run: () => void, withSummary = false): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (error.code === "CONFIG_NOT_FOUND") io.err(missingConfigMessage(error.file));
    else {
      if (withSummary) io.err(`${error.file}: ${error.summary}`);
      io.err(formatConfigError(error));
    }
    process.exitCode = 1;
  }
}
