import type { Command } from "commander";
import type { Config } from "../config/schema.js";

/**
 * What a command's wiring hands its handler. Loading the config pulls in the schema and
 * the YAML parser, so it happens only when a handler asks, never while the program is built:
 * `passgate --help` or `passgate token …` load nothing they do not use.
 */
export interface CliContext {
  /** The config named by --config, else $PASSGATE_CONFIG, else ./passgate.yaml; rejects with a ConfigError. */
  config(): Promise<Config>;
  /**
   * The path of that config file, for the commands that write or edit it (`init`, `config
   * set`, `reader add`…) or that also work without one (`reader list`); it may not exist.
   */
  configFile(): Promise<string>;
}

export function cliContext(program: Command): CliContext {
  return {
    config: async () => {
      const { cliConfig } = await import("./cli-storage.js");
      return cliConfig(program);
    },
    configFile: async () => {
      const { resolveConfigPath } = await import("../config/load-config.js");
      return resolveConfigPath(program.opts<{ config?: string }>().config);
    },
  };
}
