import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { createMqttClient, mqttClientOptions } from "../daemon/mqtt/mqtt-client-options.js";
import { MqttConnection } from "../daemon/mqtt/mqtt-connection.js";
import { readKeyFile } from "../daemon/trust/key-file.js";
import { type Clock, systemClock } from "../platform/clock.js";
import type { Db } from "../platform/database/database.js";
import { describeError } from "../platform/log/describe-error.js";
import { createLogger, type Logger } from "../platform/log/logger.js";
import { GateActions } from "./actions/gate-actions.js";
import { LoginLimiter } from "./auth/login-limiter.js";
import { LoginLinks } from "./auth/login-links.js";
import { SessionStore } from "./auth/session-store.js";
import { UserStore } from "./auth/user-store.js";
import { type ConsoleConfig, isLoopbackListen, splitListen } from "./console-config.js";
import { ConsoleCounters } from "./console-counters.js";
import { HomeAssistantDiscovery } from "./home-assistant/home-assistant-discovery.js";
import { registerActionRoutes } from "./http/action-routes.js";
import { registerAuthRoutes } from "./http/auth-routes.js";
import { buildConsoleServer } from "./http/console-server.js";
import { registerSiteRoutes } from "./http/site-routes.js";
import { registerTextRoutes } from "./http/text-routes.js";
import { SiteModel } from "./site/site-model.js";
import { AlarmStore } from "./store/alarm-store.js";
import { openConsoleDatabase } from "./store/console-database.js";
import { DecisionStore } from "./store/decision-store.js";

/** What a caller may bring instead of the defaults (tests: a fake clock, a logger to read). */
export interface ConsoleDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly counters?: ConsoleCounters;
  /** How long an action waits for the gate's answer, ms (default 5 s). */
  readonly answerWaitMs?: number;
  /** How long a relay never seen reachable may stay so before it is an alarm, ms (default 20 s). */
  readonly relayDownGraceMs?: number;
  /** How long the start waits for the broker before serving anyway, ms (default 5 s). */
  readonly brokerWaitMs?: number;
}

export interface RunningConsole {
  /** `http(s)://host:port` the console answers on. */
  readonly url: string;
  stop(): Promise<void>;
  /** A one-time login URL for `username` (10 min, single use): the demo's way in. */
  issueLoginLink(username: string): string;
  readonly counters: ConsoleCounters;
  /** Whether the console's session with the site's broker is up. */
  readonly brokerConnected: () => boolean;
}

/** Refused before anything starts, with one line saying why. */
export class ConsoleStartError extends Error {
  readonly code = "CONSOLE_START";
}

/**
 * Starts the console: its database, its session on the site's broker with the site model,
 * and the web server. The one place that creates the console's MQTT client, database and
 * server; everything else receives them. A non-loopback `listen` without `tls` is refused
 * (the config's schema refuses it too; this holds for configs built in code). A broker
 * that is down at start does not stop the console: it serves and reconnects.
 */
export async function startConsole(config: ConsoleConfig, deps: ConsoleDeps = {}): Promise<RunningConsole> {
  if (!isLoopbackListen(config.listen) && config.tls === undefined)
    throw new ConsoleStartError(
      `console listen ${config.listen} is not a loopback address and has no tls: give tls: {cert, key} or listen on 127.0.0.1`,
    );
  const clock = deps.clock ?? systemClock;
  // Each component's logger from the base one: a child of a child adds its `component` again
  // (pino writes every binding), and a line with two would be read as the last one only.
  const base = deps.logger ?? createLogger();
  const logger = base.child({ component: "console" });
  const counters = deps.counters ?? new ConsoleCounters();
  const operator = {
    id: `operator:${config.operator.name}`,
    privateKey: readKeyFile(config.operator.keyFile),
  };
  const https = config.tls && { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) };
  const options = mqttClientOptions(config.mqtt, { site: config.site, gate: "console", statusTopic: "" });
  // The console is not a gate: no will on a gate's status topic, and its own client id.
  delete options.will;
  options.clientId = `passgate-console-${config.site}`;
  let db: Db | undefined;
  let app: FastifyInstance | undefined;
  let connection: MqttConnection | undefined;
  let site: SiteModel | undefined;
  try {
    db = openConsoleDatabase(config.database.path);
    const users = new UserStore(db);
    const alarms = new AlarmStore(db);
    const decisions = new DecisionStore(db);
    connection = new MqttConnection(createMqttClient(config.mqtt, options), {
      backoff: { minMs: config.mqtt.reconnectMin, maxMs: config.mqtt.reconnectMax },
      logger: base.child({ component: "console-mqtt" }),
    });
    const siteDeps = { prefix: config.mqtt.topicPrefix, site: config.site, clock, logger, counters };
    site = new SiteModel({
      ...siteDeps,
      connection,
      timeZone: config.timeZone,
      alarms,
      decisions,
      ...(deps.relayDownGraceMs !== undefined && { relayDownGraceMs: deps.relayDownGraceMs }),
    });
    site.start();
    await connection.start(deps.brokerWaitMs ?? 5_000);
    if (!connection.connected)
      logger.warn("the site's broker is not reachable yet: serving, and reconnecting");
    // Opt-in: Home Assistant's entities for each gate, its commands signed with the console's key.
    const homeAssistant =
      config.homeAssistant &&
      new HomeAssistantDiscovery({
        connection,
        prefix: config.mqtt.topicPrefix,
        site: config.site,
        discoveryPrefix: config.homeAssistant.discoveryPrefix,
        operator,
        roles: config.homeAssistant.roles,
        ...(config.homeAssistant.gates !== undefined && { gates: config.homeAssistant.gates }),
        clock,
        logger: base.child({ component: "home-assistant" }),
      });
    await homeAssistant?.start();
    const actions = new GateActions({
      ...siteDeps,
      connection,
      operator,
      ...(deps.answerWaitMs !== undefined && { answerWaitMs: deps.answerWaitMs }),
    });
    const sessions = new SessionStore(clock);
    const links = new LoginLinks(clock);
    const guard = { sessions, users, counters };
    const model = site;
    const serverOptions = {
      requestsPerMinute: config.requestsPerMinute,
      onLimited: () => counters.inc("requests_rate_limited"),
      onServerError: (err: unknown, url: string) => {
        counters.inc("server_errors");
        logger.error({ err: describeError(err), url: url.split("?")[0] }, "console request failed");
      },
      ...(https && { https }),
    };
    app = await buildConsoleServer(serverOptions, (server) => {
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
      registerSiteRoutes(server, { ...guard, site: model, decisions, clock, timeZone: config.timeZone });
      registerActionRoutes(server, { ...guard, site: model, actions });
    });
    const { host, port } = splitListen(config.listen);
    await app.listen({ host, port });
    const address = app.server.address();
    const bound = typeof address === "object" && address !== null ? address.port : port;
    const shownHost = host.includes(":") ? `[${host}]` : host;
    const url = `${https ? "https" : "http"}://${shownHost}:${bound}`;
    logger.info({ url, site: config.site, operator: operator.id }, "console listening");
    const server = app;
    const database = db;
    const mqtt = connection;
    return {
      url,
      counters,
      brokerConnected: () => mqtt.connected,
      issueLoginLink: (username) => `${url}/#login=${links.issue(username)}`,
      stop: async () => {
        await server.close();
        model.stop();
        await homeAssistant?.stop();
        await mqtt.stop();
        database.close();
      },
    };
  } catch (err) {
    await app?.close();
    site?.stop();
    await connection?.stop();
    db?.close();
    throw err;
  }
}
