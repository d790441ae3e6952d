import { z } from "zod";
import { DURATION_EXPECTED, parseDuration } from "./duration.js";
import { durationSchema } from "./duration-schema.js";

export { durationSchema };

import { ASSURANCE_LEVELS } from "./assurance.js";
import { httpSchema } from "./http-schema.js";
import { checkMqttRelays, mqttSchema, relayDriverSchema } from "./mqtt-schema.js";
import { checkReaderSources, readerSourceSchema } from "./reader-schema.js";
import { syncSchema } from "./sync-schema.js";
import { trustSchema } from "./trust-schema.js";

/**
 * The one schema of passgate's YAML config: the source of its types, defaults and error
 * messages. Unknown keys are errors (`strictObject`), so a typo is caught at start
 * instead of silently ignored.
 *
 * Messages given here are phrased as "expected …" because `config/load-config.ts` shows
 * them as `path: expected … (got "value")`; zod's own messages are rewritten there.
 */

/**
 * Lets a cross-field check run although *other* fields have problems, so that one
 * `config check` lists every problem instead of revealing them one fix at a time. zod
 * skips object-level checks after any nested issue by default; this skips only when a
 * field the check reads (a top-level key of the object) is itself broken.
 */
function whenFieldsValid(...fields: string[]): (payload: z.core.ParsePayload) => boolean {
  return (payload) => !payload.issues.some((issue) => fields.includes(String(issue.path?.[0])));
}

export const nameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "expected a name of letters, digits, _ . - (max 64)");

const name = nameSchema;

const ianaTimeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, "expected an IANA time zone such as Europe/Moscow");

export const DIRECTIONS = ["in", "out"] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const GATE_MODES = ["normal", "lockdown", "free"] as const;
export type GateMode = (typeof GATE_MODES)[number];

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, "expected a time of day HH:MM (00:00 to 24:00)");

/** One opening window of a weekly schedule, in the gate's time zone; `to` is exclusive. */
const scheduleWindowSchema = z
  .strictObject({
    days: z.array(z.enum(WEEKDAYS)).min(1),
    from: clockTime,
    to: clockTime,
  })
  .refine((w) => w.from < w.to, {
    message: "`from` must be earlier than `to`",
    path: ["to"],
    when: whenFieldsValid("from", "to"),
  });

const ruleSchema = z
  .strictObject({
    name,
    /** Matches a credential that holds any of these roles. */
    roles: z.array(z.string().min(1)).default([]),
    /** Matches a credential whose own zone grants include any of these zones. */
    zones: z.array(z.string().min(1)).default([]),
    directions: z.array(z.enum(DIRECTIONS)).min(1).default(["in", "out"]),
    /** Name of a schedule under `policy.schedules`; absent = at any time. */
    schedule: name.optional(),
    minAssurance: z.enum(ASSURANCE_LEVELS).optional(),
  })
  .refine((r) => r.roles.length > 0 || r.zones.length > 0, {
    message: "a rule must name at least one role or zone",
    path: ["roles"],
    when: whenFieldsValid("roles", "zones"),
  });
export type PolicyRule = z.infer<typeof ruleSchema>;

/**
 * 3 s to 10 min, checked on the text so an error shows what was written: below 3 s a busy
 * broker's delay would look like a partition; above 10 min one would go unnoticed.
 */
const partitionAfterSchema = z
  .string({ error: DURATION_EXPECTED })
  .refine((text) => {
    const ms = parseDuration(text);
    return ms === undefined || (ms >= 3_000 && ms <= 600_000);
  }, "expected a duration from 3s to 10m")
  .pipe(durationSchema);

const antiPassbackSchema = z.strictObject({
  /**
   * off; hard: a second entry (or exit) in a row is denied; soft: granted and flagged;
   * timed: the same direction again is denied only within `window`.
   */
  mode: z.enum(["off", "hard", "soft", "timed"]).default("off"),
  window: durationSchema.prefault("5m"),
  /**
   * What `hard` and `timed` do while this gate cannot hear its zone (docs/scale.md): `open`
   * decides on what this gate knows (a passage made at a gate it cannot hear is missed);
   * `closed` denies `anti_passback_partition`, since another gate may hold the answer. Set
   * it alike on every gate of the zone.
   */
  partition: z.enum(["open", "closed"]).default("open"),
  /** With `partition: closed`: a gate of the zone silent this long counts as cut off. */
  partitionAfter: partitionAfterSchema.prefault("15s"),
});

const lockoutSchema = z.strictObject({
  /** Bad tokens for one credential at one reader that lock it out there; 0 turns lockout off. */
  attempts: z.number().int().min(0).max(1000).default(5),
  within: durationSchema.prefault("10m"),
  lockFor: durationSchema.prefault("15m"),
});

/**
 * The guesses a reader takes (docs/decisions.md): `burst` bad codes, then one more every
 * `every`; with none left the reader refuses every scan until one comes back, and an alarm
 * is journaled. The defaults keep the chance of guessing an 8-digit TOTP code at one
 * reader below 10⁻⁶ a day.
 */
const guessLimitSchema = z.strictObject({
  /** Bad codes before the reader is throttled; 0 turns the limit off. */
  burst: z.number().int().min(0).max(1000).default(8),
  /** One more bad code is allowed every this long. */
  every: durationSchema.prefault("1h"),
});

const policySchema = z
  .strictObject({
    /** The zone this gate guards; anti-passback is kept per person per zone. */
    zone: name.default("campus"),
    /** The mode the gate starts in when it has none persisted. */
    mode: z.enum(GATE_MODES).default("normal"),
    rules: z.array(ruleSchema).default([]),
    schedules: z.record(name, z.array(scheduleWindowSchema).min(1)).default({}),
    /** Dates (YYYY-MM-DD, in the gate's time zone) on which scheduled rules do not open. */
    holidays: z.array(z.iso.date()).default([]),
    antiPassback: antiPassbackSchema.prefault({}),
    lockout: lockoutSchema.prefault({}),
    guessLimit: guessLimitSchema.prefault({}),
  })
  .superRefine(
    (p, ctx) => {
      p.rules.forEach((rule, i) => {
        // Object.hasOwn, not `in`: a schedule named "constructor" must not match Object.prototype.
        if (rule.schedule !== undefined && !Object.hasOwn(p.schedules, rule.schedule)) {
          ctx.addIssue({
            code: "custom",
            message: `unknown schedule "${rule.schedule}": define it under policy.schedules`,
            path: ["rules", i, "schedule"],
          });
        }
      });
    },
    { when: whenFieldsValid("rules", "schedules") },
  );
export type PolicyConfig = z.infer<typeof policySchema>;

const readerSchema = z.strictObject({
  id: name,
  direction: z.enum(DIRECTIONS),
  /** Where scans come from: stdin, serial, hid or mqtt (config/reader-schema.ts). */
  source: readerSourceSchema,
});
export type ReaderConfig = z.infer<typeof readerSchema>;

const relaySchema = z.strictObject({
  id: name,
  /** Which reader's grants open this relay. */
  reader: name,
  /** log, generic, tasmota, shelly-gen1 or shelly-gen2 (config/mqtt-schema.ts, docs/relays.md). */
  driver: relayDriverSchema,
  /** How long the relay is pulsed open. */
  pulse: durationSchema.prefault("1s"),
});
export type RelayConfig = z.infer<typeof relaySchema>;

const base64urlKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, "expected a base64url Ed25519 public key (43 characters, 32 bytes)");

/**
 * Without `url` the gate does not sync: it runs from allowlists imported by hand
 * (`passgate allowlist import`), which must still be signed by one of `trustedKeys`.
 */
const registrySchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL of the registry" }).optional(),
  /** A file holding the gate's bearer token for the registry. */
  tokenFile: z.string().optional(),
  /** Registry signing keys the gate trusts, by key id (several during a rotation). */
  trustedKeys: z.record(z.string().min(1), base64urlKey),
  pollInterval: durationSchema.prefault("60s"),
});

/** Adds an issue for each id used twice in a list of objects with an `id`, at the later one. */
function checkUniqueIds(list: readonly { id: string }[], key: string, ctx: z.core.$RefinementCtx): void {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    if (seen.has(item.id)) {
      ctx.addIssue({ code: "custom", message: `duplicate id "${item.id}"`, path: [key, i, "id"] });
    }
    seen.add(item.id);
  });
}

export const configSchema = z
  .strictObject({
    /** The site id the registry knows (e.g. a campus); all gates of a site share replay and anti-passback state. */
    site: name,
    /** This gate's id, unique within the site. */
    gate: name,
    /** IANA time zone of the gate, for schedules and holidays. */
    timezone: ianaTimeZone,
    storage: z
      .strictObject({
        path: z.string().min(1).default("./var/passgate.db"),
        synchronous: z.enum(["normal", "full"]).default("normal"),
      })
      .prefault({}),
    token: z
      .strictObject({
        /** Time steps accepted either side of now. */
        window: z.number().int().min(0).max(10).default(1),
      })
      .prefault({}),
    mqtt: mqttSchema.optional(),
    registry: registrySchema.optional(),
    sync: syncSchema.prefault({}),
    /** This gate's key and member id in the site roster (config/trust-schema.ts). */
    trust: trustSchema.prefault({}),
    readers: z.array(readerSchema).default([]),
    relays: z.array(relaySchema).default([]),
    policy: policySchema.prefault({}),
    /** Loopback metrics, health and status endpoint (config/http-schema.ts); absent = none. */
    http: httpSchema.optional(),
    log: z
      .strictObject({
        level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
      })
      .prefault({}),
  })
  .superRefine(
    (c, ctx) => {
      checkUniqueIds(c.readers, "readers", ctx);
      checkUniqueIds(c.relays, "relays", ctx);
      checkReaderSources(c, ctx);
      checkMqttRelays(c, ctx);
      // Two readers on one stdin would each see every line: each scan decided twice.
      c.readers.forEach((reader, i) => {
        if (reader.source.type === "stdin" && c.readers.findIndex((r) => r.source.type === "stdin") < i) {
          ctx.addIssue({
            code: "custom",
            message: "only one reader can read stdin",
            path: ["readers", i, "source", "type"],
          });
        }
      });
      const readerIds = new Set(c.readers.map((r) => r.id));
      c.relays.forEach((relay, i) => {
        if (!readerIds.has(relay.reader)) {
          ctx.addIssue({
            code: "custom",
            message: `unknown reader "${relay.reader}": expected the id of one of the readers`,
            path: ["relays", i, "reader"],
          });
        }
      });
    },
    { when: whenFieldsValid("readers", "relays") },
  )
  .superRefine(
    (c, ctx) => {
      // A gate that shares no site state never hears its zone: every entry would be denied.
      if (c.policy.antiPassback.partition === "closed" && c.mqtt?.siteShare !== true) {
        ctx.addIssue({
          code: "custom",
          message: "fail-closed anti-passback needs mqtt with siteShare: this gate could never hear its zone",
          path: ["policy", "antiPassback", "partition"],
        });
      }
    },
    { when: whenFieldsValid("policy", "mqtt") },
  );

export type Config = z.infer<typeof configSchema>;
/** The config as written in YAML, before defaults and transforms. */
export type ConfigInput = z.input<typeof configSchema>;

export type RegistryConfig = NonNullable<Config["registry"]>;

/**
 * The registry this gate syncs with: `registry:` with a `url`. Undefined for a gate without
 * one, or with only `trustedKeys` (it runs from allowlists imported by hand).
 */
export function syncedRegistry(
  config: Pick<Config, "registry">,
): (RegistryConfig & { url: string }) | undefined {
  const registry = config.registry;
  return registry?.url === undefined ? undefined : { ...registry, url: registry.url };
}
