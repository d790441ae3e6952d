import { stringify } from "yaml";
import { getConfigValue } from "../../config/edit-config.js";
import { type LineOutput, reportingConfigErrors } from "../setup/report-config-errors.js";

/**
 * `passgate config get`: the effective value of `dotPath` in the config `file`, after
 * defaults (durations in ms), as YAML or JSON. Sets exit code 1 when it is not set and has
 * no default, or the config cannot be read.
 */
export function configGet(
  file: string,
  dotPath: string,
  options: { readonly json: boolean },
  io: LineOutput,
): void {
  reportingConfigErrors(io, () => {
    const value = getConfigValue(file, dotPath);
    if (value === undefined) {
      io.err(
        `passgate: ${dotPath} is not set and has no default — set it with "passgate config set ${dotPath} VALUE"`,
      );
      process.exitCode = 1;
      return;
    }
    if (options.json) io.out(JSON.stringify(value));
    else io.out(typeof value === "object" && value !== null ? stringify(value).trimEnd() : String(value));
  });
}
