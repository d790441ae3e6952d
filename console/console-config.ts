import { resolve } from "node:path";
import { z } from "zod";
import { checkYamlConfig, readConfigFile } from "../config/load-config.js";
import { mqttSchema, resolveMqttPaths } from "../config/mqtt-schema.js";

/** One MQTT topic level, as the gate's config spells site names. */
const siteName = z
  .string()
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/,
    "expected one topic level of letters, digits, _ . : - (max 64)",
  );

/** The machine's own IANA zone, the default of `timeZone`. */
export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const listenSchema = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "expected host:port such as 127.0.0.1:8480");

/**
 * The console's config file (docs/console.md). The broker settings are the gate's own
 * `mqtt:` pieces (url, username, passwordFile, tls, topicPrefix, timings); the relay and
 * input settings of a gate have no meaning here and are refused as unknown keys.
 */
export const consoleConfigSchema = z
  .strictObject({
    site: siteName,
    /** IANA zone of every time on the page; default the machine's. */
    timeZone: z
      .string()
      .refine(isTimeZone, "expected an IANA time zone such as Europe/Moscow")
      .default(() => machineTimeZone()),
    mqtt: mqttSchema.pick({
      url: true,
      username: true,
      passwordFile: true,
      protocolVersion: true,
      tls: true,
      topicPrefix: true,
      reconnectMin: true,
      reconnectMax: true,
      keepalive: true,
    }),
    /** host:port of the console's web server; TLS is required off loopback. */
    listen: listenSchema.default("127.0.0.1:8480"),
    tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
    /** The roster member the console signs its requests as: `operator:<name>`. */
    operator: z.strictObject({
      name: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,55}$/, "expected 1–55 letters, digits, dots, dashes or underscores"),
      /** The private key from `passgate keys init --operator NAME` (0600). */
      keyFile: z.string().min(1),
    }),
    /** Requests one address may make per minute (pages, API and live updates together); more get 429. */
    requestsPerMinute: z.number().int().min(60).max(100_000).default(600),
    /** The console's own SQLite file (users, alarms, today's decisions), 0600. */
    database: z.strictObject({ path: z.string().min(1) }).prefault({ path: "console.db" }),
    /**
     * Home Assistant's MQTT discovery of the site's gates (docs/home-assistant.md): absent,
     * off. `roles` and `gates` are what the roster lets the console's operator do, so Home
     * Assistant offers only the buttons the gates will honour.
     */
    homeAssistant: z
      .strictObject({
        discoveryPrefix: siteName.default("homeassistant"),
        roles: z
          .array(z.enum(["guard", "admin"]))
          .min(1)
          .max(2),
        gates: z.array(siteName).max(256).optional(),
      })
      .optional(),
  })
  .superRefine((config, ctx) => {
    if (!isLoopbackListen(config.listen) && config.tls === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["listen"],
        message: `${config.listen} is not a loopback address: give tls: {cert, key} (passwords and sessions must not cross the network in clear)`,
      });
  });

export type ConsoleConfig = z.output<typeof consoleConfigSchema>;
/** What a test or the demo writes by hand: defaults may be left out. */
export type ConsoleConfigInput = z.input<typeof consoleConfigSchema>;

/** Splits `host:port` ("[::1]:8480" → "::1", 8480). */
export function splitListen(listen: string): { readonly host: string; readonly port: number } {
  const at = listen.lastIndexOf(":");
  return { host: listen.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(listen.slice(at + 1)) };
}

export function isLoopbackListen(listen: string): boolean {
  const { host } = splitListen(listen);
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Validates a config given as an object (tests, the demo); throws one line per problem. */
export function parseConsoleConfig(input: ConsoleConfigInput): ConsoleConfig {
  const parsed = consoleConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new Error(
    parsed.error.issues.map((i) => `console config ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n"),
  );
}

/**
 * Reads the console's YAML config with the gate's loader (every problem with its path and
 * line); relative file paths are anchored at the file's directory.
 */
export function loadConsoleConfig(path: string): ConsoleConfig {
  const checked = checkYamlConfig(readConfigFile(path), path, consoleConfigSchema, resolveConsolePaths);
  if (!checked.ok) throw checked.error;
  return checked.config;
}

function resolveConsolePaths(config: ConsoleConfig, dir: string): ConsoleConfig {
  const at = (path: string): string => (path.startsWith(":") ? path : resolve(dir, path));
  return {
    ...config,
    mqtt: resolveMqttPaths(config.mqtt, at),
    operator: { ...config.operator, keyFile: at(config.operator.keyFile) },
    database: { path: at(config.database.path) },
    ...(config.tls && { tls: { cert: at(config.tls.cert), key: at(config.tls.key) } }),
  };
}
