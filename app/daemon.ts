import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Readable } from "node:stream";
import type { MqttClient } from "mqtt";
import type { Config } from "../config/schema.js";
import type { PulseResult } from "../daemon/actuate/relay-set.js";
import { type GateMqttSession, startActuation } from "../daemon/actuate/start-actuation.js";
import { SqliteAllowlistStore } from "../daemon/allowlist/sqlite-allowlist-store.js";
import { stalenessBudgets } from "../daemon/decide/staleness.js";
import { Gate, type GateSettings, type ScanOutcome } from "../daemon/gate/gate.js";
import { Journal } from "../daemon/journal/journal.js";
import { gateMqttSetup } from "../daemon/mqtt/gate-mqtt-setup.js";
import { createMqttClient } from "../daemon/mqtt/mqtt-client-options.js";
import { MqttConnection } from "../daemon/mqtt/mqtt-connection.js";
import { gateTopics, registryChangedSchema } from "../daemon/mqtt/topics.js";
import { migrateGateState } from "../daemon/state/gate-state-schema.js";
import { LockoutTracker } from "../daemon/state/lockout-tracker.js";
import { ModeStore } from "../daemon/state/mode-store.js";
import { PresenceStore } from "../daemon/state/presence-store.js";
import { ReplayGuard } from "../daemon/state/replay-guard.js";
import { TokenVerifier } from "../daemon/verify/verify-token.js";
import type { Clock } from "../platform/clock.js";
import { openDatabase } from "../platform/database/database.js";
import { WalCheckpointer } from "../platform/database/wal-checkpointer.js";
import { describeError } from "../platform/log/describe-error.js";
import { LogThrottle } from "../platform/log/log-throttle.js";
import type { Logger } from "../platform/log/logger.js";
import { openReaderDevices } from "../reader-bridge/reader-devices.js";
import { type ReaderSet, startReaders } from "../reader-bridge/reader-set.js";
import type { Scan } from "../reader-bridge/scan-source.js";
import { backlogSize } from "../sync/event-uploader.js";
import { startRegistrySync } from "../sync/start-sync.js";
import { SyncStateStore } from "../sync/sync-state.js";
import { GateMetrics } from "./http/gate-metrics.js";
import { checkHealth, type HealthReport } from "./http/health.js";
import { HttpEndpoint } from "./http/http-endpoint.js";
import { buildStatus, metricSources, type ObservedGate } from "./http/observed-gate.js";
import { applyConfigDiff } from "./reload/apply-config-diff.js";
import { type ConfigDiff, diffConfig } from "./reload/diff-config.js";
import { scanPipeline } from "./scan-pipeline.js";

/** What the daemon takes from the outside world; the CLI passes the real ones, tests their own. */
export interface DaemonIo {
  readonly stdin: Readable;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Called after each decision is journaled and actuated (the demo prints it). */
  readonly onDecision?: (outcome: ScanOutcome, scan: Scan) => void;
  /** passgate's version, for `/status` and `passgate_build_info`; default "unknown". */
  readonly version?: string;
}

export interface RunningDaemon {
  readonly gate: Gate;
  /** Resolves when every reader source has ended (stdin closed) or `stop` was called. */
  readonly done: Promise<void>;
  /** Pull the allowlist now (the registry's MQTT push); does nothing without `registry:`. */
  requestSync(): void;
  /** Healthy = not stopping and the journal's database takes a write lock (daemon/http/health.ts). */
  health(): HealthReport;
  /**
   * Applies a validated config without dropping scans (SIGHUP): policy, readers, relays,
   * sync and log level change live; what needs a restart is logged and kept as it is.
   */
  reload(config: Config): Promise<ConfigDiff>;
  /** The port the HTTP endpoint listens on; undefined without `http:` or when it could not bind. */
  httpPort(): number | undefined;
  stop(): Promise<void>;
}

/** How often accepted (credential, step) pairs that can no longer verify are pruned. */
const REPLAY_PRUNE_MS = 60_000;
/**
 * Pairs are pruned only this long after they stop verifying: a clock that runs ahead for a
 * while (and is then stepped back) must not have forgotten pairs that are live again.
 */
const REPLAY_PRUNE_MARGIN_MS = 10 * 60_000;

/**
 * The composition root: the one place that opens the database and creates readers and
 * relays. Components start in order (store, state, relays, then readers) and stop in
 * reverse. A reader that fails to start is logged and left out; the gate keeps running.
 */
export async function startDaemon(config: Config, io: DaemonIo): Promise<RunningDaemon> {
  const log = io.logger;
  const startedAt = io.clock.now();
  let current = config;
  mkdirSync(dirname(config.storage.path), { recursive: true });
  const db = openDatabase(config.storage.path, { synchronous: config.storage.synchronous });
  db.pragma("wal_autocheckpoint = 0");
  const checkpointer = new WalCheckpointer(config.storage.path, (message) =>
    log.error({ component: "storage", err: { message } }, "WAL checkpoint failed"),
  );
  checkpointer.start();
  const allowlist = SqliteAllowlistStore.open(db);
  const journal = Journal.open(db);
  migrateGateState(db);
  const { policy } = config;
  const replay = new ReplayGuard(db);
  const mode = ModeStore.load(db, { mode: policy.mode, since: io.clock.now(), source: "config" });
  let readers: ReaderSet | undefined;
  let syncState: SyncStateStore | undefined;
  const health = () => checkHealth(db, stopped);
  // What `/status` and the gauges read: getters, since a reload replaces readers, relays and sync.
  const observed = (): ObservedGate => ({
    config: () => current,
    readers: () => readers,
    relays: () => actuation.relays.availability(),
    mqttConnected: () => mqtt?.connection.connected,
    allowlist: () => allowlist.stats(),
    sync: () => {
      if (current.registry === undefined) return undefined;
      syncState ??= SyncStateStore.open(db);
      return { state: syncState.get(), backlog: backlogSize(journal, syncState) };
    },
    mode: () => mode.get().mode,
    decisionCounts: () => gate.decisionCounts(),
    health,
    now: () => io.clock.now(),
    startedAt,
    version: io.version ?? "unknown",
  });

  // The gate's one MQTT session (with `mqtt:`), shared by relays, events and requests (docs/mqtt.md).
  let mqtt: GateMqttSession | undefined;
  let mqttClient: MqttClient | undefined;
  if (config.mqtt !== undefined) {
    const setup = gateMqttSetup(config, config.mqtt);
    const client = createMqttClient(config.mqtt, setup.options);
    mqttClient = client;
    mqtt = {
      connection: new MqttConnection(client, { ...setup, logger: log.child({ component: "mqtt" }) }),
      clientId: setup.clientId,
    };
    await mqtt.connection.start();
  }
  // Metrics only with `http:`; the decision path then adds one counter and one histogram update.
  const metrics =
    config.http === undefined
      ? undefined
      : new GateMetrics(metricSources(observed()), io.version ?? "unknown");
  const actuationDeps = {
    db,
    mode,
    journal,
    allowlist,
    clock: io.clock,
    logger: log,
    mqtt,
    onPulse:
      metrics === undefined
        ? undefined
        : (r: PulseResult) => metrics.relayPulse(r.relay, r.error ?? r.result),
  };
  // `let`: a reload that changes relays restarts actuation; the gate asks through these closures.
  let actuation = await startActuation(config, actuationDeps);
  const gateSettings = (c: Config): GateSettings => ({
    gate: c.gate,
    timezone: c.timezone,
    policy: c.policy,
    window: c.token.window,
    staleness: stalenessBudgets(c),
    passageSensed: (readerId) => actuation.passageSensed(readerId),
  });
  const gate = new Gate(gateSettings(config), {
    db,
    allowlist,
    verifier: new TokenVerifier(config.token.window),
    journal,
    replay,
    presence: new PresenceStore(db),
    lockout: new LockoutTracker(db, policy.lockout),
    mode,
    relayAvailable: (readerId) => actuation.relayAvailable(readerId),
    clock: io.clock,
    logger: log.child({ component: "gate" }),
  });
  const stats = allowlist.stats();
  log.info(
    {
      site: config.site,
      gate: config.gate,
      mode: mode.get().mode,
      allowlistVersion: stats.version,
      credentials: stats.count,
    },
    "gate starting",
  );
  if (stats.count === 0) {
    log.warn(
      config.registry === undefined
        ? "the allowlist is empty: every scan is denied until one is imported (passgate allowlist import)"
        : "the allowlist is empty: every scan is denied until the first sync with the registry",
    );
  }

  // Registry sync (only with `registry:`); a failing registry never stops the gate.
  const startSync = (c: Config): ReturnType<typeof startRegistrySync> => {
    try {
      return startRegistrySync(c, {
        db,
        store: allowlist,
        journal,
        clock: io.clock,
        logger: log.child({ component: "sync" }),
        onPulled: (outcome) => {
          if (outcome.kind !== "applied" && outcome.kind !== "not_modified" && outcome.kind !== "stopped")
            metrics?.syncFailed();
        },
      });
    } catch (err) {
      log.error({ err: describeError(err) }, "registry sync failed to start; the gate runs on its allowlist");
      return undefined;
    }
  };
  let registrySync = startSync(config);
  const topics =
    config.mqtt === undefined
      ? undefined
      : gateTopics({ prefix: config.mqtt.topicPrefix, site: config.site, gate: config.gate });
  if (mqtt !== undefined && topics !== undefined && registrySync !== undefined) {
    // The registry's push: pull at once instead of waiting for the next poll.
    mqtt.connection.subscribeParsed(
      topics.registryChanged,
      "json",
      registryChangedSchema,
      "registry_push",
      () => registrySync?.requestSync(),
    );
  }

  const readerLog = log.child({ component: "reader" });
  // One line per reader and reason every 10 s (`held`: how many were not logged since).
  const rejectionLogs = new LogThrottle(() => io.clock.now());
  const onScan = scanPipeline({
    gate,
    actuation: () => actuation,
    logger: log,
    metrics,
    feedback:
      mqtt !== undefined && topics !== undefined ? { connection: mqtt.connection, topics } : undefined,
    onDecision: io.onDecision,
  });

  // Every configured reader, each isolated and retried (reader-bridge/reader-set.ts).
  // Firmware readers share the gate's MQTT session instead of opening a second one.
  const readerDevices = openReaderDevices(config, readerLog, mqttClient);
  readers = await startReaders(
    config.readers,
    { clock: io.clock, logger: readerLog, stdin: io.stdin, ...readerDevices },
    {
      scan: onScan,
      rejected: (id, reason) => {
        metrics?.scanRejected(id, reason);
        const held = rejectionLogs.admit(`${id}:${reason}`);
        if (held !== undefined) readerLog.warn({ reader: id, reason, held }, "scan input rejected");
      },
    },
  );
  const ended = readers.ended;
  const readerSet = readers;

  const endpoint =
    config.http === undefined || metrics === undefined
      ? undefined
      : new HttpEndpoint(
          config.http.listen,
          { metrics: () => metrics.scrape(), health, status: () => buildStatus(observed()) },
          log.child({ component: "http" }),
        );
  await endpoint?.start();

  const pruneTimer = setInterval(() => {
    try {
      const pruned = replay.prune(io.clock.now() - REPLAY_PRUNE_MARGIN_MS);
      if (pruned > 0) log.debug({ pruned }, "replay pairs pruned");
    } catch (err) {
      log.error({ err: describeError(err) }, "replay prune failed");
    }
  }, REPLAY_PRUNE_MS);
  pruneTimer.unref();

  let stopped = false;
  // Reloads and the stop run one at a time: a stop waits for a reload under way.
  let lifecycle: Promise<unknown> = Promise.resolve();
  let markStopped: () => void = () => {};
  const stoppedPromise = new Promise<void>((resolve) => {
    markStopped = resolve;
  });
  // Readers stop first, so no new scan starts (a decision is synchronous: none is half
  // done); then relays are left closed, `offline` is published, and the journal is
  // checkpointed into the main database file before it closes.
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await lifecycle;
    clearInterval(pruneTimer);
    await readerSet.stop();
    await readerDevices.close();
    await actuation.stop();
    await mqtt?.connection.stop();
    await registrySync?.stop();
    await endpoint?.stop();
    try {
      db.pragma("wal_checkpoint(TRUNCATE)");
    } catch (err) {
      log.error({ component: "storage", err: describeError(err) }, "final WAL checkpoint failed");
    }
    db.close();
    await checkpointer.stop();
    log.info({ decisions: Object.fromEntries(gate.decisionCounts()) }, "gate stopped");
    markStopped();
  };
  // With no stream reader there is nothing to end: the daemon runs until stopped.
  const done =
    ended.length === 0
      ? stoppedPromise
      : Promise.race([Promise.all(ended).then(() => undefined), stoppedPromise]);
  const reload = (next: Config): Promise<ConfigDiff> => {
    const run = lifecycle.then(() => applyReload(next));
    lifecycle = run.catch(() => undefined);
    return run;
  };
  const applyReload = async (next: Config): Promise<ConfigDiff> => {
    if (stopped) throw new Error("the gate is stopping");
    const diff = diffConfig(current, next);
    await applyConfigDiff(
      diff,
      {
        setLogLevel: (level) => {
          log.level = level;
        },
        restartActuation: async (c) => {
          await actuation.stop();
          actuation = await startActuation(c, actuationDeps);
        },
        // Built before the swap, swapped in one synchronous step: no scan sees half of it.
        updateGate: (c) =>
          gate.updateSettings(gateSettings(c), {
            verifier: new TokenVerifier(c.token.window),
            lockout: new LockoutTracker(db, c.policy.lockout),
          }),
        restartSync: async (c) => {
          await registrySync?.stop();
          registrySync = startSync(c);
        },
        readers: readerSet,
      },
      log,
    );
    current = diff.effective;
    return diff;
  };

  return {
    gate,
    done,
    stop,
    reload,
    health,
    httpPort: () => endpoint?.port(),
    requestSync: () => registrySync?.requestSync(),
  };
}
