import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import { loadConfig, resolveConfigPath } from "../config/load-config.js";
import type { Config } from "../config/schema.js";
import { type Db, openDatabase } from "../platform/database/database.js";

/** The config named by the root program's `--config` (or PASSGATE_CONFIG); throws ConfigError. */
export function cliConfig(program: Command): Config {
  return loadConfig(resolveConfigPath(program.opts<{ config?: string }>().config));
}

/** Opens the gate's database as the config says, creating its folder if needed. */
export function openCliDatabase(program: Command): Db {
  const config = cliConfig(program);
  mkdirSync(dirname(config.storage.path), { recursive: true });
  return openDatabase(config.storage.path, { synchronous: config.storage.synchronous });
}

/** The database plus what an allowlist import checks against: the site and trusted registry keys. */
export function openCliStore(program: Command): {
  db: Db;
  site: string;
  trustedKeys: Record<string, string>;
  close(): void;
} {
  const config = cliConfig(program);
  mkdirSync(dirname(config.storage.path), { recursive: true });
  const db = openDatabase(config.storage.path, { synchronous: config.storage.synchronous });
  return { db, site: config.site, trustedKeys: config.registry?.trustedKeys ?? {}, close: () => db.close() };
}
