import type { Config, GateMode } from "../../config/schema.js";
import type { AllowlistStats } from "../../daemon/allowlist/allowlist-store.js";
import type { BridgeView } from "../../daemon/bridge/bridge-watch.js";
import type { ReaderSet } from "../../reader-bridge/reader-set.js";
import type { SyncStatus } from "../../sync/sync-state.js";
import type { MetricSources } from "./gate-metrics.js";
import type { HealthReport } from "./health.js";
import type { GateStatus } from "./status-schema.js";

/**
 * What the endpoint may read of the running gate: small getters the composition root
 * wires to the components (reader set, relays, MQTT session, stores), never their internals.
 * Getters, not values: a config reload replaces readers, relays and the sync loop.
 */
export interface ObservedGate {
  /** The config the gate runs on now (after reloads). */
  config(): Config;
  readers(): ReaderSet | undefined;
  /** Relay id → reachable now. */
  relays(): Readonly<Record<string, boolean>>;
  /** Undefined without `mqtt:`. */
  mqttConnected(): boolean | undefined;
  allowlist(): AllowlistStats;
  /** Undefined without `registry:`. */
  sync(): { readonly state: SyncStatus; readonly backlog: number } | undefined;
  mode(): GateMode;
  /** The database file is known to be damaged. */
  databaseCorrupt(): boolean;
  /** The reader bridges as the gate sees them (components/bridges.ts). */
  bridges(): readonly BridgeView[];
  /** Decisions by `result:reason` since start. */
  decisionCounts(): ReadonlyMap<string, number>;
  health(): HealthReport;
  now(): number;
  /** The system clock is NTP-synchronised; undefined when the gate cannot tell. */
  clockSynchronized(): Promise<boolean | undefined>;
  /** Inbound MQTT messages dropped, by `kind:reason`; empty without `mqtt:`. */
  mqttDrops(): ReadonlyMap<string, number>;
  /** This gate's publishes the broker refused as not authorized, by topic; empty without `mqtt:`. */
  mqttRefused(): ReadonlyMap<string, number>;
  /** Site records kept per kind (outbox and catch-up); undefined without site share. */
  siteRecords(): Readonly<Record<string, number>> | undefined;
  /** Whether the gate hears its fail-closed zone; undefined where the zone is not fail-closed. */
  zoneHeard(): boolean | undefined;
  readonly startedAt: number;
  readonly version: string;
}

export type ReaderStatusState = GateStatus["readers"][number]["state"];

/**
 * A reader is `connected` when its source runs and its device last reported itself
 * connected (stdin reports nothing: running is connected), `stopped` once removed or
 * when the gate stops, `disconnected` otherwise (connecting, away, or a start being retried).
 */
export function readerState(set: ReaderSet | undefined, id: string): ReaderStatusState {
  const state = set?.states()[id];
  if (set === undefined || state === "stopped") return "stopped";
  if (!set.running().includes(id)) return "disconnected";
  return state === undefined || state === "connected" ? "connected" : "disconnected";
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The `GET /status` document (app/http/status-schema.ts). */
export function buildStatus(gate: ObservedGate): GateStatus {
  const config = gate.config();
  const now = gate.now();
  const readers = gate.readers();
  const relays = gate.relays();
  const allowlist = gate.allowlist();
  const sync = gate.sync();
  let granted = 0;
  let denied = 0;
  for (const [key, n] of gate.decisionCounts()) {
    if (key.startsWith("granted:")) granted += n;
    else denied += n;
  }
  const broker = gate.mqttConnected();
  return {
    site: config.site,
    gate: config.gate,
    version: gate.version,
    startedAt: iso(gate.startedAt),
    uptimeSeconds: Math.max(0, Math.floor((now - gate.startedAt) / 1000)),
    mode: gate.mode(),
    broker: { configured: broker !== undefined, connected: broker === true },
    readers: config.readers.map((r) => {
      const rejected: Record<string, number> = readers?.counters.forReader(r.id) ?? {};
      return {
        id: r.id,
        direction: r.direction,
        state: readerState(readers, r.id),
        scans: readers?.scanCount(r.id) ?? 0,
        rejected: Object.values(rejected).reduce((a, b) => a + b, 0),
      };
    }),
    relays: config.relays.map((r) => ({ id: r.id, reader: r.reader, available: relays[r.id] === true })),
    allowlist: {
      version: allowlist.version,
      count: allowlist.count,
      ageSeconds:
        allowlist.syncedAt === null ? null : Math.max(0, Math.floor((now - allowlist.syncedAt) / 1000)),
    },
    sync: {
      configured: sync !== undefined,
      lastSuccessAt: sync?.state.lastSuccessAt == null ? null : iso(sync.state.lastSuccessAt),
      lastError: sync?.state.lastError ?? null,
      backlog: sync?.backlog ?? 0,
    },
    decisions: { granted, denied },
    bridges: gate.bridges().map((b) => ({
      id: b.id,
      paired: b.paired,
      status: b.status,
      lastScanAt: b.lastScanAt === null ? null : iso(b.lastScanAt),
    })),
  };
}

/** The scrape-time sources of the gauges, from the same getters. */
export function metricSources(gate: ObservedGate): MetricSources {
  return {
    readers: () =>
      Object.fromEntries(
        gate.config().readers.map((r) => [r.id, readerState(gate.readers(), r.id) === "connected"]),
      ),
    relays: () => gate.relays(),
    mqttConnected: () => gate.mqttConnected(),
    allowlist: () => gate.allowlist(),
    uploadBacklog: () => gate.sync()?.backlog,
    gateMode: () => gate.mode(),
    databaseCorrupt: () => gate.databaseCorrupt(),
    bridges: () => gate.bridges().map((b) => ({ id: b.id, online: b.status === "online", paired: b.paired })),
    now: () => gate.now(),
    clockSynchronized: () => gate.clockSynchronized(),
    mqttDrops: () => gate.mqttDrops(),
    mqttRefused: () => gate.mqttRefused(),
    siteRecords: () => gate.siteRecords(),
    zoneHeard: () => gate.zoneHeard(),
  };
}
