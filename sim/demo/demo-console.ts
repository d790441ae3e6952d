import { generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserStore } from "../../console/auth/user-store.js";
import { type RunningConsole, startConsole } from "../../console/console-app.js";
import { parseConsoleConfig } from "../../console/console-config.js";
import { openConsoleDatabase } from "../../console/store/console-database.js";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import type { RosterMember } from "../../daemon/trust/roster-member.js";
import { createPrivateFile } from "../../platform/database/private-files.js";
import type { Logger } from "../../platform/log/logger.js";

/** The console's usual port; the demo takes a free one when something already listens there. */
export const DEMO_CONSOLE_PORT = 8480;
/** The console's operator in every gate's roster: `operator:<name>`. */
export const DEMO_CONSOLE_OPERATOR = "console";
/** The one user of the demo's console. */
export const DEMO_CONSOLE_USER = "admin";

/**
 * The console's signing key, made before the campus so the gates' rosters hold it; written
 * to the demo's folder only when the console starts, since the campus empties that folder.
 */
export interface DemoConsoleKey {
  readonly privateKey: KeyObject;
  readonly member: RosterMember;
}

/**
 * An operator key for the console, as `passgate keys init --operator console` would make it,
 * and its roster entry with both roles: the demo's user is an admin, who may open a lane
 * once and change a gate's mode.
 */
export function makeDemoConsoleKey(): DemoConsoleKey {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKey,
    member: {
      id: `operator:${DEMO_CONSOLE_OPERATOR}`,
      kind: "operator",
      roles: ["guard", "admin"],
      publicKey: publicKeyText(publicKey),
      status: "active",
      displayName: "Web console",
    },
  };
}

export interface DemoConsoleOptions {
  readonly dir: string;
  readonly site: string;
  readonly brokerUrl: string;
  /** 4 on the embedded broker (aedes), 5 on a real one. */
  readonly protocolVersion: 4 | 5;
  readonly key: DemoConsoleKey;
  readonly logger: Logger;
  /** Default 8480, then any free port. */
  readonly port?: number;
}

export interface DemoConsole {
  readonly url: string;
  /** Logs the admin in once, within 10 minutes: the demo's way in, since its password is never shown. */
  readonly loginUrl: string;
  stop(): Promise<void>;
}

/**
 * The web console of the simulated campus on loopback, with one admin whose random password
 * is kept nowhere but as its hash: the one-time login link is how the person running the
 * demo gets in.
 */
export async function startDemoConsole(options: DemoConsoleOptions): Promise<DemoConsole> {
  const keyFile = join(options.dir, "console-operator.key");
  createPrivateFile(keyFile);
  writeFileSync(keyFile, options.key.privateKey.export({ format: "pem", type: "pkcs8" }));
  const database = join(options.dir, "console.db");
  const db = openConsoleDatabase(database);
  try {
    await new UserStore(db).add(
      DEMO_CONSOLE_USER,
      "admin",
      randomBytes(24).toString("base64url"),
      Date.now(),
    );
  } finally {
    db.close();
  }
  const config = (port: number) =>
    parseConsoleConfig({
      site: options.site,
      mqtt: { url: options.brokerUrl, protocolVersion: options.protocolVersion },
      listen: `127.0.0.1:${port}`,
      operator: { name: DEMO_CONSOLE_OPERATOR, keyFile },
      database: { path: database },
    });
  // The console names its own lines (`component`).
  const deps = { logger: options.logger };
  let running: RunningConsole;
  try {
    running = await startConsole(config(options.port ?? DEMO_CONSOLE_PORT), deps);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    running = await startConsole(config(0), deps);
  }
  return {
    url: running.url,
    loginUrl: running.issueLoginLink(DEMO_CONSOLE_USER),
    stop: () => running.stop(),
  };
}
