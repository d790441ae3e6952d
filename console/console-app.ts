import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { type Clock, systemClock } from "../platform/clock.js";
import type { Db } from "../platform/database/database.js";
import { createLogger, type Logger } from "../platform/log/logger.js";
import { LoginLimiter } from "./auth/login-limiter.js";
import { LoginLinks } from "./auth/login-links.js";
import { SessionStore } from "./auth/session-store.js";
import { UserStore } from "./auth/user-store.js";
import { type ConsoleConfig, isLoopbackListen, splitListen } from "./console-config.js";
import { ConsoleCounters } from "./console-counters.js";
import { registerAuthRoutes } from "./http/auth-routes.js";
import { buildConsoleServer } from "./http/console-server.js";
import { registerTextRoutes } from "./http/text-routes.js";
import { openConsoleDatabase } from "./store/console-database.js";

/** What a caller may bring instead of the defaults (tests: a fake clock, a logger to read). */
export interface ConsoleDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly counters?: ConsoleCounters;
}

export interface RunningConsole {
  /** `http(s)://host:port` the console answers on. */
  readonly url: string;
  stop(): Promise<void>;
  /** A one-time login URL for `username` (10 min, single use): the demo's way in. */
  issueLoginLink(username: string): string;
  readonly counters: ConsoleCounters;
}

/** Refused before anything starts, with one line saying why. */
export class ConsoleStartError extends Error {
  readonly code = "CONSOLE_START";
}

/**
 * Starts the console: its database, the site model on the broker, and the web server.
 * A non-loopback `listen` without `tls` is refused (the config's schema refuses it too;
 * this holds for configs built in code).
 */
export async function startConsole(config: ConsoleConfig, deps: ConsoleDeps = {}): Promise<RunningConsole> {
  if (!isLoopbackListen(config.listen) && config.tls === undefined)
    throw new ConsoleStartError(
      `console listen ${config.listen} is not a loopback address and has no tls: give tls: {cert, key} or listen on 127.0.0.1`,
    );
  const clock = deps.clock ?? systemClock;
  const logger = (deps.logger ?? createLogger()).child({ component: "console" });
  const counters = deps.counters ?? new ConsoleCounters();
  const https = config.tls && { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) };
  let db: Db | undefined;
  let app: FastifyInstance | undefined;
  try {
    db = openConsoleDatabase(config.database.path);
    const users = new UserStore(db);
    const sessions = new SessionStore(clock);
    const links = new LoginLinks(clock);
    const guard = { sessions, users, counters };
    app = await buildConsoleServer(https ? { https } : {}, (server) => {
      registerTextRoutes(server);
      registerAuthRoutes(server, {
        ...guard,
        limiter: new LoginLimiter(clock),
        links,
        logger,
        site: config.site,
        timeZone: config.timeZone,
        secure: https !== undefined,
      });
    });
    const { host, port } = splitListen(config.listen);
    await app.listen({ host, port });
    const address = app.server.address();
    const bound = typeof address === "object" && address !== null ? address.port : port;
    const shownHost = host.includes(":") ? `[${host}]` : host;
    const url = `${https ? "https" : "http"}://${shownHost}:${bound}`;
    logger.info({ url, site: config.site }, "console listening");
    const server = app;
    const database = db;
    return {
      url,
      counters,
      issueLoginLink: (username) => `${url}/#login=${links.issue(username)}`,
      stop: async () => {
        await server.close();
        database.close();
      },
    };
  } catch (err) {
    await app?.close();
    db?.close();
    throw err;
  }
}
