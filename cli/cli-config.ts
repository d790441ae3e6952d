import type { Command } from "commander";
import { ConfigError, formatConfigError, loadConfig, resolveConfigPath } from "../config/load-config.js";
import type { Config } from "../config/schema.js";

/**
 * Loads the config named by the global `--config` option (or PASSGATE_CONFIG), printing
 * every problem with its path and setting exit code 1 when it is invalid.
 */
export function loadCliConfig(command: Command): Config | undefined {
  const { config: explicit } = command.optsWithGlobals<{ config?: string }>();
  const path = resolveConfigPath(explicit);
  try {
    return loadConfig(path);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${formatConfigError(err)}\n`);
      process.exitCode = 1;
      return undefined;
    }
    throw err;
  }
}
