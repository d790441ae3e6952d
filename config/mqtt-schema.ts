import { z } from "zod";
import { durationSchema } from "./duration-schema.js";

/**
 * The `mqtt:` section and the MQTT relay drivers of `relays[].driver` (docs/mqtt.md,
 * docs/relays.md). Kept out of schema.ts so the actuation work has one file of config.
 */

/** One MQTT topic level: no wildcards, no separators, no leading `$`. */
const topicLevel = z
  .string()
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/,
    "expected one topic level of letters, digits, _ . : - (max 64)",
  );

/** An exact topic (no wildcards) a device publishes an input on. */
const inputTopic = z
  .string()
  .regex(
    /^[^+#\s/][^+#\s]{0,254}$/,
    "expected an exact MQTT topic without wildcards, e.g. stat/turnstile-1/SWITCH1",
  );

const readerId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "expected a name of letters, digits, _ . - (max 64)");

/** A turnstile rotation sensor: a message `payload` on `topic` is one passage at `reader`. */
const passageInputSchema = z.strictObject({
  reader: readerId,
  topic: inputTopic,
  payload: z.string().min(1).max(64).default("ON"),
  /** A grant not followed by a rotation within this time is `not_passed`. */
  timeout: durationSchema.prefault("6s"),
});
export type PassageInputConfig = z.infer<typeof passageInputSchema>;

/** The fire-alarm panel's output: `active` sets free passage, `inactive` ends an alarm's free passage. */
const fireAlarmSchema = z.strictObject({
  topic: inputTopic,
  active: z.string().min(1).max(64).default("ON"),
  inactive: z.string().min(1).max(64).default("OFF"),
});

export const mqttSchema = z.strictObject({
  url: z
    .string()
    .regex(
      /^(mqtts?|wss?|tcp|ssl):\/\/.+/,
      "expected a broker URL such as mqtt://127.0.0.1:1883 or mqtts://…",
    ),
  username: z.string().optional(),
  /** A file holding the password, so the secret stays out of the config. */
  passwordFile: z.string().optional(),
  /** Default: passgate-<site>-<gate>. */
  clientId: z.string().optional(),
  /**
   * MQTT protocol: 5 (default) or 4 (3.1.1) for brokers without MQTT 5, such as the
   * simulator's embedded broker. With 4 the broker cannot expire a stale open command;
   * the driver's deadline and the generic relay's payload expiry still refuse it.
   */
  protocolVersion: z.union([z.literal(5), z.literal(4)]).default(5),
  tls: z
    .strictObject({
      ca: z.string().optional(),
      cert: z.string().optional(),
      key: z.string().optional(),
      rejectUnauthorized: z.boolean().default(true),
    })
    .optional(),
  /** First topic level of every passgate topic (docs/mqtt.md). */
  topicPrefix: topicLevel.default("passgate"),
  /** MQTT 5 message expiry of an open command: a broker drops it once this has passed. */
  commandExpiry: durationSchema.prefault("2s"),
  /** How long a relay may take to confirm a pulse before the driver reports it failed. */
  confirmTimeout: durationSchema.prefault("3s"),
  /** First reconnect delay; it doubles up to `reconnectMax`. */
  reconnectMin: durationSchema.prefault("500ms"),
  reconnectMax: durationSchema.prefault("5s"),
  /** Keep-alive; the broker publishes the gate's `offline` will after 1.5 × this. */
  keepalive: durationSchema.prefault("10s"),
  /** Rotation sensors: with one, only a sensed rotation counts as a passage (anti-passback). */
  passage: z.array(passageInputSchema).default([]),
  fireAlarm: fireAlarmSchema.optional(),
  /** Share accepted tokens and passages with the site's other gates (docs/mqtt.md). */
  siteShare: z.boolean().default(true),
});
export type MqttConfig = z.infer<typeof mqttSchema>;

const channel = (max: number, first: number) => z.number().int().min(first).max(max).default(first);

/** How a relay is driven: a logger, or a board over MQTT (docs/relays.md). */
export const relayDriverSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("log") }),
  /** passgate's own JSON protocol, for custom firmware: commands carry id, issue time and expiry. */
  z.strictObject({ type: z.literal("generic"), device: topicLevel, channel: channel(16, 1) }),
  /** Tasmota: `topic` is the device's MQTT Topic (`%topic%`), `channel` the POWER<n> index. */
  z.strictObject({ type: z.literal("tasmota"), topic: topicLevel, channel: channel(8, 1) }),
  /** Shelly Gen1: `id` such as shelly1-98CDAC1F03A5; `channel` the relay index from 0. */
  z.strictObject({ type: z.literal("shelly-gen1"), id: topicLevel, channel: channel(3, 0) }),
  /** Shelly Gen2 and later (Plus, Pro): `id` is the device's MQTT topic prefix; `channel` the switch id. */
  z.strictObject({ type: z.literal("shelly-gen2"), id: topicLevel, channel: channel(3, 0) }),
]);
export type RelayDriverConfig = z.infer<typeof relayDriverSchema>;

/**
 * Cross-field checks of the MQTT relays and inputs, called from the config's superRefine:
 * an MQTT relay driver needs `mqtt:`, and a rotation sensor must name a configured reader.
 */
export function checkMqttRelays(
  config: {
    mqtt?: MqttConfig | undefined;
    readers: readonly { id: string }[];
    relays: readonly { driver: RelayDriverConfig }[];
  },
  ctx: z.core.$RefinementCtx,
): void {
  config.relays.forEach((relay, i) => {
    if (relay.driver.type !== "log" && config.mqtt === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `a ${relay.driver.type} relay needs the broker configured under \`mqtt:\``,
        path: ["relays", i, "driver", "type"],
      });
    }
  });
  const readers = new Set(config.readers.map((r) => r.id));
  // Runs although other fields may be broken: read `passage` only when it is a list.
  const sensors = Array.isArray(config.mqtt?.passage) ? (config.mqtt?.passage ?? []) : [];
  sensors.forEach((sensor, i) => {
    if (!readers.has(sensor.reader)) {
      ctx.addIssue({
        code: "custom",
        message: `unknown reader "${sensor.reader}": expected the id of one of the readers`,
        path: ["mqtt", "passage", i, "reader"],
      });
    }
  });
}

/**
 * An `mqtt:` section (the gate's or a reader bridge's) with its password and TLS file
 * paths passed through `at`, which anchors them at the config file's directory.
 */
export function resolveMqttPaths<M extends Pick<MqttConfig, "passwordFile" | "tls">>(
  mqtt: M,
  at: (path: string) => string,
): M {
  return {
    ...mqtt,
    ...(mqtt.passwordFile !== undefined && { passwordFile: at(mqtt.passwordFile) }),
    ...(mqtt.tls && {
      tls: {
        ...mqtt.tls,
        ...(mqtt.tls.ca !== undefined && { ca: at(mqtt.tls.ca) }),
        ...(mqtt.tls.cert !== undefined && { cert: at(mqtt.tls.cert) }),
        ...(mqtt.tls.key !== undefined && { key: at(mqtt.tls.key) }),
      },
    }),
  };
}
