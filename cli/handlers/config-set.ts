import { stringify } from "yaml";
import { setConfigValue } from "../../config/edit-config.js";
import { ConfigError, formatConfigError } from "../../config/load-config.js";
import { type LineOutput, reportingConfigErrors } from "../setup/report-config-errors.js";

/**
 * `passgate config set`: sets `dotPath` to the YAML `rawValue` in the config `file`, keeping
 * its comments; an edit that would make it invalid is refused (exit code 1, file unchanged).
 */
export function configSet(file: string, dotPath: string, rawValue: string, io: LineOutput): void {
  reportingConfigErrors(
    io,
    () => {
      const { value, remainingIssues } = setConfigValue(file, dotPath, rawValue);
      const shown =
        typeof value === "object" && value !== null
          ? stringify(value, { flow: true }).trimEnd()
          : String(value);
      io.out(`set ${dotPath} to ${shown} in ${file}`);
      if (remainingIssues.length > 0) {
        // The edit is written (it did not make things worse), but the daemon will still refuse the file.
        const problems = `${remainingIssues.length} other problem${remainingIssues.length === 1 ? "" : "s"}`;
        io.err(`${file} still has ${problems}:`);
        io.err(formatConfigError(new ConfigError("CONFIG_INVALID", file, remainingIssues, "is invalid")));
      }
    },
    true,
  );
}
