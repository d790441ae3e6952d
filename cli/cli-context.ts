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
}

export function cliContext(program: Command): CliContext {
  return {
    config: async () => {
      const { cliConfig } = await import("./cli-storage.js");
      return cliConfig(program);
    },
  };
}
