import type { Command } from "commander";
import { loadConfig, resolveConfigPath } from "../config/load-config.js";
import type { Config } from "../config/schema.js";

/** The config named by the root program's `--config` (or PASSGATE_CONFIG); throws ConfigError. */
export function cliConfig(program: Command): Config {
  return loadConfig(resolveConfigPath(program.opts<{ config?: string }>().config));
}
