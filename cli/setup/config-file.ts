import type { Command } from "commander";
import { resolveConfigPath } from "../../config/load-config.js";

/** The config file named by the root program's --config, else PASSGATE_CONFIG, else ./passgate.yaml. */
export function configFileOf(command: Command): string {
  return resolveConfigPath(command.optsWithGlobals<{ config?: string }>().config);
}
