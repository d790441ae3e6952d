import type { Readable } from "node:stream";
import type { Config } from "../config/schema.js";
import type { BridgeView } from "../daemon/bridge/bridge-watch.js";
import type { ScanOutcome } from "../daemon/gate/gate.js";
import type { JournalEntry } from "../daemon/journal/journal-entry.js";
import type { Clock } from "../platform/clock.js";
import type { Logger } from "../platform/log/logger.js";
import type { Scan } from "../reader-bridge/scan-source.js";
import { type ClockSyncProbe, timedatectlProbe } from "./clock-sync-probe.js";
import { ComponentList } from "./component-list.js";
import { BridgesComponent } from "./components/bridges.js";
import { ClockWatchComponent } from "./components/clock-watch.js";
import { GateComponent } from "./components/gate.js";
import { GateMqttComponent } from "./components/gate-mqtt.js";
import { HttpEndpointComponent } from "./components/http-endpoint.js";
import { InputsComponent } from "./components/inputs.js";
import { ModeControlComponent } from "./components/mode-control.js";
import { MqttSessionComponent } from "./components/mqtt-session.js";
import { ReadersComponent } from "./components/readers.js";
import { RegistrySyncComponent } from "./components/registry-sync.js";
import { RelaysComponent } from "./components/relays.js";
import { ReplayPrunerComponent } from "./components/replay-pruner.js";
import { RetiredAllowlistsComponent } from "./components/retired-allowlists.js";
import { SiteShareComponent } from "./components/site-share.js";
import { StorageComponent } from "./components/storage.js";
import { TrustComponent } from "./components/trust.js";
import type { DeskSources } from "./desk-state.js";
import { GateMetrics } from "./http/gate-metrics.js";
import { type RunningDaemon, runningDaemon } from "./running-daemon.js";

/** What the daemon takes from the outside world; the CLI passes the real ones, tests their own. */
export interface DaemonIo {
  readonly stdin: Readable;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Called after each decision is journaled and actuated (the demo prints it). */
  readonly onDecision?: (outcome: ScanOutcome, scan: Scan) => void;
  /** passgate's version, for `/status` and `passgate_build_info`; default "unknown". */
  readonly version?: string;
  /** Whether the clock is NTP-synchronised (default: timedatectl), and how often to ask (default 60 s). */
  readonly clockSync?: { readonly probe: ClockSyncProbe; readonly everyMs?: number };
}

export type { RunningDaemon };

/**
 * The composition root: the one place that builds a running gate. Each part is a
 * component (app/components/), built here with the parts it uses; the list below is the
 * start order, and the ComponentList stops them in reverse. So readers stop first (no new
 * scan starts), then sync; the relays finish their pulses in flight and are left off while
 * the MQTT session is still up, the session publishes `offline`, the HTTP endpoint answers
 * "stopping" until then, and storage checkpoints and closes the database last. A failed
 * start stops what had started and rejects.
 */
export async function startDaemon(config: Config, io: DaemonIo): Promise<RunningDaemon> {
  const { clock, logger } = io;
  const version = io.version ?? "unknown";
  const list = new ComponentList(logger);
  // Counters only with `http:`; the decision path then adds one counter and one histogram update.
  const metrics = config.http === undefined ? undefined : new GateMetrics(version);
  const base = { clock, logger };
  const storage = new StorageComponent(config, base);
  const health = () => storage.health(list.stopping);
  const trust = new TrustComponent(config, { storage, ...base });
  const pruner = new ReplayPrunerComponent(storage, base);
  const retired = new RetiredAllowlistsComponent(storage, base);
  const session = new MqttSessionComponent(config, logger);
  const modes = new ModeControlComponent(config, { storage, ...base });
  const relays = new RelaysComponent(config, { storage, session, modes, metrics, ...base });
  // The status answer shows the bridges, which publish their alarms through gate-mqtt.
  const bridgeViews = (): BridgeView[] => bridges.views();
  // An operator's open tells the inputs (built later) to expect the rotation it lets through.
  const expectPassage = (open: JournalEntry, reader: string) => inputs.operatorOpened(open, reader);
  // What a guard's desk shows in the retained state, read from parts built later.
  const desk: DeskSources = {
    readers: () => readers.set,
    bridges: bridgeViews,
    allowlist: () => storage.stores.allowlist.stats(),
    lastSyncAt: () => sync.lastSuccessAt(),
    clockSynced: () => clockWatch.synced,
  };
  const gateMqtt = new GateMqttComponent(config, {
    session,
    trust,
    relays,
    modes,
    bridgeViews,
    expectPassage,
    desk,
    storage,
    ...base,
  });
  const clockWatch = new ClockWatchComponent(config, {
    storage,
    gateMqtt,
    probe: io.clockSync?.probe ?? timedatectlProbe,
    ...(io.clockSync?.everyMs === undefined ? {} : { everyMs: io.clockSync.everyMs }),
    ...base,
  });
  const bridges = new BridgesComponent(config, { storage, session, trust, gateMqtt, ...base });
  const site = new SiteShareComponent(config, { storage, trust, session, ...base });
  const inputs = new InputsComponent(config, { storage, session, gateMqtt, modes, site, trust, ...base });
  const onDecision = io.onDecision;
  const gate = new GateComponent(config, {
    storage,
    session,
    relays,
    gateMqtt,
    inputs,
    site,
    trust,
    metrics,
    onDecision,
    ...base,
  });
  const sync = new RegistrySyncComponent(config, { storage, session, metrics, gateMqtt, retired, ...base });
  const readers = new ReadersComponent(config, { session, trust, gate, stdin: io.stdin, metrics, ...base });
  // Built last, since it reads the parts after it in the list (only when asked); started right after storage and its housekeeping.
  const parts = { storage, session, relays, gate, sync, readers, bridges, site };
  const http = new HttpEndpointComponent(config, { parts, metrics, health, version, ...base });

  // The start order; the stop runs it backwards. Each component's JSDoc says why it sits where it does.
  const components = [
    storage,
    trust,
    pruner,
    retired,
    http,
    session,
    modes,
    relays,
    gateMqtt,
    clockWatch,
    bridges,
    site,
    inputs,
    gate,
    sync,
    readers,
  ];
  await list.start(components);
  return runningDaemon(
    list,
    config,
    {
      gate: gate.gate,
      ended: readers.ended(),
      requestSync: () => sync.requestSync(),
      health,
      httpPort: () => http.port(),
    },
    logger,
  );
}
