import { resolve } from "node:path";
import { z } from "zod";
import { durationSchema } from "../config/duration-schema.js";
import { ConfigError, checkYamlConfig, readConfigFile } from "../config/load-config.js";
import { mqttSchema, resolveMqttPaths } from "../config/mqtt-schema.js";
import { publicKeySchema } from "../daemon/trust/roster-member.js";

/**
 * The notifier's config (`passgate notify run --config FILE`, docs/notices.md): the broker it
 * hears the gates on, the gates whose notices it takes, where it keeps its queue, how it
 * delivers (SMTP, webhook) and the file of guardians. Loaded like the gate's config: every
 * problem with its line, relative paths anchored at the file's directory.
 */

/** The file used when neither `--config FILE` nor `PASSGATE_NOTIFY_CONFIG` names one. */
export const DEFAULT_NOTIFY_CONFIG_PATH = "./passgate-notify.yaml";

/** Most gates one notifier listens to: a site has a few dozen at most. */
export const MAX_GATES = 1_000;

const topicLevel = z
  .string()
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/,
    "expected one topic level of letters, digits, _ . : - (max 64)",
  );

const ianaTimeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "expected an IANA time zone such as Europe/Moscow");

/** A file path in the config (a secret, a list): bounded, never empty. */
const filePath = z.string().min(1).max(1024);

/** A gate given inline: its roster id (`gate:main-1`) and Ed25519 public key. */
const inlineGateSchema = z.strictObject({
  id: z
    .string()
    .max(69)
    .regex(/^gate:[A-Za-z0-9._-]{1,64}$/, "expected a gate's member id such as gate:main-1"),
  publicKey: publicKeySchema,
});
export type InlineGate = z.infer<typeof inlineGateSchema>;

/** The broker: the gate's `mqtt:` pieces that a client needs, nothing about relays or inputs. */
const notifyMqttSchema = mqttSchema
  .pick({
    url: true,
    username: true,
    passwordFile: true,
    clientId: true,
    protocolVersion: true,
    tls: true,
    keepalive: true,
    reconnectMin: true,
    reconnectMax: true,
  })
  .extend({
    /**
     * How long the broker keeps this service's session (its subscription and the notices
     * that arrive for it) while the service is away, e.g. during an update.
     */
    sessionExpiry: durationSchema.prefault("1h"),
  });

const emailAddress = z.email("expected an e-mail address").max(254);

export const notifyConfigSchema = z.strictObject({
  site: topicLevel,
  mqtt: notifyMqttSchema,
  topicPrefix: topicLevel.default("passgate"),
  /** The guardians' time zone: the time in a notice's text is local time there. */
  timeZone: ianaTimeZone,
  /**
   * The gates whose notices are taken: a roster file as `passgate trust list --json`
   * prints it (its active gate members), or the gates' `{id, publicKey}` records.
   */
  gates: z.union([filePath, z.array(inlineGateSchema).min(1).max(MAX_GATES)]),
  /** The delivery queue (SQLite), private to the service (0600). */
  database: filePath,
  /** The guardians and their consent (docs/notices.md). */
  guardians: filePath,
  smtp: z
    .strictObject({
      host: z.string().min(1).max(253),
      port: z.number().int().min(1).max(65_535).default(587),
      /** true: TLS from the start (port 465); false: STARTTLS when the server offers it. */
      secure: z.boolean().default(false),
      /** Refuse to send unless the connection is encrypted (STARTTLS required). */
      requireTls: z.boolean().default(true),
      username: z.string().min(1).max(254).optional(),
      passwordFile: filePath.optional(),
      from: z.string().min(3).max(254),
    })
    .optional(),
  webhook: z
    .strictObject({
      /** The shared secret of the HMAC that signs each request: one line, 16 bytes or more. */
      secretFile: filePath,
    })
    .optional(),
  delivery: z
    .strictObject({
      /** How long one mail or one request may take. */
      timeout: durationSchema.prefault("10s"),
      /** The first retry comes after about this long; each next one after twice as long. */
      retryFirst: durationSchema.prefault("5s"),
      /** Retries never wait longer than this. */
      retryMax: durationSchema.prefault("30m"),
      /** A delivery that has not gone out this long after its notice is given up (`failed`). */
      giveUpAfter: durationSchema.prefault("24h"),
      /** Sent and failed deliveries are forgotten after this long (they hold children's names). */
      keep: durationSchema.prefault("30d"),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
    })
    .prefault({}),
});

export type NotifyConfig = z.infer<typeof notifyConfigSchema>;

/** Where `emailAddress` is used: the guardian list checks each guardian's address with it. */
export { emailAddress };

/** The notifier's config file: `explicit`, else $PASSGATE_NOTIFY_CONFIG, else ./passgate-notify.yaml. */
export function notifyConfigPath(
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  if (explicit !== undefined && explicit !== "") return explicit;
  const fromEnv = env.PASSGATE_NOTIFY_CONFIG;
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : DEFAULT_NOTIFY_CONFIG_PATH;
}

/** Reads and validates a notifier config; throws `ConfigError` listing every problem. */
export function loadNotifyConfig(path: string): NotifyConfig {
  const checked = checkNotifyConfigText(readConfigFile(path), path);
  if (!checked.ok) throw checked.error;
  return checked.config;
}

/** `loadNotifyConfig` for text already read; `file` names it in messages and anchors relative paths. */
export function checkNotifyConfigText(
  text: string,
  file: string,
): { ok: true; config: NotifyConfig } | { ok: false; error: ConfigError } {
  return checkYamlConfig(text, file, notifyConfigSchema, resolveNotifyPaths);
}

/** Paths are relative to the config file's directory, so the service runs the same from anywhere. */
function resolveNotifyPaths(config: NotifyConfig, configDir: string): NotifyConfig {
  const at = (path: string): string => resolve(configDir, path);
  return {
    ...config,
    mqtt: resolveMqttPaths(config.mqtt, at),
    gates: typeof config.gates === "string" ? at(config.gates) : config.gates,
    database: at(config.database),
    guardians: at(config.guardians),
    ...(config.smtp && {
      smtp: {
        ...config.smtp,
        ...(config.smtp.passwordFile !== undefined && { passwordFile: at(config.smtp.passwordFile) }),
      },
    }),
    ...(config.webhook && { webhook: { secretFile: at(config.webhook.secretFile) } }),
  };
}

export { ConfigError };
