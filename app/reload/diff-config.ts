import { isDeepStrictEqual } from "node:util";
import type { Config } from "../../config/schema.js";

/** Fields of `mqtt:` that shape the session itself: a new session means a restart. */
const MQTT_SESSION_FIELDS = [
  "url",
  "username",
  "passwordFile",
  "clientId",
  "protocolVersion",
  "tls",
  "topicPrefix",
  "reconnectMin",
  "reconnectMax",
  "keepalive",
] as const;

/** What a reload changes in the running gate, and what it cannot change. */
export interface ConfigDiff {
  /** Policy, time zone, token window or staleness budgets: the gate's settings are swapped. */
  readonly gateSettings: boolean;
  readonly logLevel: boolean;
  /** `registry:` or `sync:` (other than staleness): the sync loop is restarted. */
  readonly sync: boolean;
  /** Reader ids to start, to stop, and to restart (changed). Untouched readers keep running. */
  readonly readers: {
    readonly added: readonly string[];
    readonly removed: readonly string[];
    readonly changed: readonly string[];
  };
  /** Relays or the live part of `mqtt:` (relay timing, passage sensors, fire alarm): actuation restarts. */
  readonly actuation: boolean;
  /** Dotted paths of every live change, for the log line. */
  readonly live: readonly string[];
  /** Dotted paths that changed but need a restart; they are not applied. */
  readonly restartOnly: readonly string[];
  /** The config to run on: `next` with every restart-only field kept as it is in `current`. */
  readonly effective: Config;
}

const same = (a: unknown, b: unknown) => isDeepStrictEqual(a, b);

/**
 * Compares the running config with a newly loaded one. Pure: the caller applies the
 * result (`RunningDaemon.reload`). Site, gate, storage, the HTTP endpoint, the gate's key and trust settings, and the MQTT
 * session (broker, credentials, client id, topics, timing) need a restart.
 */
export function diffConfig(current: Config, next: Config): ConfigDiff {
  const live: string[] = [];
  const restartOnly: string[] = [];
  for (const key of ["site", "gate", "storage", "http", "trust"] as const) {
    if (!same(current[key], next[key])) restartOnly.push(key);
  }

  let mqtt = next.mqtt;
  if (current.mqtt === undefined || next.mqtt === undefined) {
    if (current.mqtt !== next.mqtt) restartOnly.push("mqtt");
    mqtt = current.mqtt;
  } else {
    const kept: Record<string, unknown> = { ...next.mqtt };
    for (const field of MQTT_SESSION_FIELDS) {
      if (!same(current.mqtt[field], next.mqtt[field])) {
        restartOnly.push(`mqtt.${field}`);
        kept[field] = current.mqtt[field];
      }
    }
    mqtt = kept as typeof next.mqtt;
  }
  const effective: Config = {
    ...next,
    site: current.site,
    gate: current.gate,
    storage: current.storage,
    http: current.http,
    trust: current.trust,
    mqtt,
  };

  const policy = !same(current.policy, effective.policy);
  const timezone = current.timezone !== effective.timezone;
  if (timezone) live.push("timezone");
  const window = current.token.window !== effective.token.window;
  const staleness =
    !same(current.sync.staleness, effective.sync.staleness) ||
    current.sync.defaultStaleness !== effective.sync.defaultStaleness;
  if (policy) live.push("policy");
  if (window) live.push("token.window");
  if (staleness) live.push("sync.staleness");

  const logLevel = current.log.level !== effective.log.level;
  if (logLevel) live.push("log.level");

  const { staleness: _a, defaultStaleness: _b, ...syncRest } = current.sync;
  const { staleness: _c, defaultStaleness: _d, ...nextSyncRest } = effective.sync;
  const sync = !same(current.registry, effective.registry) || !same(syncRest, nextSyncRest);
  if (!same(current.registry, effective.registry)) live.push("registry");
  if (!same(syncRest, nextSyncRest)) live.push("sync");

  const before = new Map(current.readers.map((r) => [r.id, r]));
  const after = new Map(effective.readers.map((r) => [r.id, r]));
  const added = [...after.keys()].filter((id) => !before.has(id));
  const removed = [...before.keys()].filter((id) => !after.has(id));
  const changed = [...after.keys()].filter((id) => before.has(id) && !same(before.get(id), after.get(id)));
  for (const id of added) live.push(`readers.${id} (added)`);
  for (const id of removed) live.push(`readers.${id} (removed)`);
  for (const id of changed) live.push(`readers.${id} (changed)`);

  const relays = !same(current.relays, effective.relays);
  const mqttLive = !same(current.mqtt, effective.mqtt);
  if (relays) live.push("relays");
  if (mqttLive) live.push("mqtt");

  return {
    gateSettings: policy || timezone || window || staleness,
    logLevel,
    sync,
    readers: { added, removed, changed },
    actuation: relays || mqttLive,
    live,
    restartOnly,
    effective,
  };
}
