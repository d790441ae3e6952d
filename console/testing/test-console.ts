import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../platform/log/logger.js";
import type { Role } from "../api.js";
import { UserStore } from "../auth/user-store.js";
import { type ConsoleDeps, type RunningConsole, startConsole } from "../console-app.js";
import { type ConsoleConfig, type ConsoleConfigInput, parseConsoleConfig } from "../console-config.js";
import { openConsoleDatabase } from "../store/console-database.js";

/** A console on a free loopback port with its own folder, operator key and users, for tests. */
export interface TestConsole {
  readonly dir: string;
  readonly config: ConsoleConfig;
  readonly operatorKey: KeyObject;
  readonly running: RunningConsole;
  readonly url: string;
  /** Stops the console and removes its folder. */
  close(): Promise<void>;
  /** Starts it again on the same files (a restart). */
  restart(): Promise<TestConsole>;
}

export async function addTestUsers(
  dbPath: string,
  users: readonly { name: string; role: Role; password: string }[],
) {
  const db = openConsoleDatabase(dbPath);
  try {
    const store = new UserStore(db);
    for (const u of users) await store.add(u.name, u.role, u.password, Date.now());
  } finally {
    db.close();
  }
}

export const GUARD = { name: "anna", role: "guard", password: "correct horse battery" } as const;
export const ADMIN = { name: "boris", role: "admin", password: "admin password 1" } as const;

/** Starts a console for `mqttUrl` (any URL when the test needs no broker) with GUARD and ADMIN as users. */
export async function startTestConsole(
  options: {
    readonly mqttUrl?: string;
    readonly overrides?: Partial<ConsoleConfigInput>;
    readonly deps?: ConsoleDeps;
    readonly dir?: string;
    readonly operatorKey?: KeyObject;
  } = {},
): Promise<TestConsole> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "passgate-console-"));
  const keyFile = join(dir, "operator-desk.key");
  const operatorKey = options.operatorKey ?? generateKeyPairSync("ed25519").privateKey;
  writeFileSync(keyFile, operatorKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  const config = parseConsoleConfig({
    site: "campus",
    timeZone: "Europe/Moscow",
    mqtt: { url: options.mqttUrl ?? "mqtt://127.0.0.1:1", reconnectMin: "100ms", reconnectMax: "500ms" },
    listen: "127.0.0.1:0",
    operator: { name: "desk", keyFile },
    database: { path: join(dir, "console.db") },
    ...options.overrides,
  });
  if (options.dir === undefined) await addTestUsers(config.database.path, [GUARD, ADMIN]);
  const running = await startConsole(config, {
    logger: createLogger({ level: "silent" }),
    brokerWaitMs: options.mqttUrl === undefined ? 0 : 5_000,
    ...options.deps,
  });
  const self: TestConsole = {
    dir,
    config,
    operatorKey,
    running,
    url: running.url,
    close: async () => {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await running.stop();
      return startTestConsole({ ...options, dir, operatorKey });
    },
  };
  return self;
}

/** A cookie jar of one: the session cookie a login set, for the next requests. */
export function sessionCookie(response: Response): string {
  const set = response.headers.getSetCookie().find((c) => c.startsWith("passgate_console="));
  if (set === undefined) throw new Error("no session cookie was set");
  return set.split(";")[0] ?? "";
}

/** Logs in over real HTTP; returns the cookie and the `Me` answer. */
export async function login(url: string, user: { name: string; password: string }) {
  const response = await fetch(`${url}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: user.name, password: user.password }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
  const me = (await response.json()) as { csrf: string; role: Role; username: string };
  return { cookie: sessionCookie(response), me };
}

/** A POST of a logged-in page: cookie and CSRF token. */
export function post(url: string, session: { cookie: string; me: { csrf: string } }, body?: unknown) {
  return fetch(url, {
    method: "POST",
    headers: {
      cookie: session.cookie,
      "x-csrf-token": session.me.csrf,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}
