import type { Config } from "../../config/schema.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import { ntpSynchronized } from "../../platform/ntp-synchronized.js";
import type { Component } from "../component.js";
import { ClockSyncCache } from "../http/clock-sync-cache.js";
import type { GateMetrics } from "../http/gate-metrics.js";
import type { HealthReport } from "../http/health.js";
import { HttpEndpoint } from "../http/http-endpoint.js";
import { buildStatus, metricSources, type ObservedGate } from "../http/observed-gate.js";
import type { ConfigDiff } from "../reload/diff-config.js";
import type { BridgesComponent } from "./bridges.js";
import type { GateComponent } from "./gate.js";
import type { MqttSessionComponent } from "./mqtt-session.js";
import type { ReadersComponent } from "./readers.js";
import type { RegistrySyncComponent } from "./registry-sync.js";
import type { RelaysComponent } from "./relays.js";
import type { SiteShareComponent } from "./site-share.js";
import type { StorageComponent } from "./storage.js";

/** The parts `/status` and the gauges read, at request time only. */
export interface ObservedParts {
  readonly storage: StorageComponent;
  readonly session: MqttSessionComponent;
  readonly relays: RelaysComponent;
  readonly gate: GateComponent;
  readonly sync: RegistrySyncComponent;
  readonly readers: ReadersComponent;
  readonly bridges: BridgesComponent;
  readonly site: SiteShareComponent;
}

/**
 * Owns the loopback HTTP endpoint (with `http:`): `/metrics`, `/health`, `/status`
 * (app/http/). Started right after storage (and its pruner), before the parts it reports
 * on, and stopped right before them: it is up for the whole start and the whole stop, so
 * `/health` answers 503 `stopping` while pulses finish and relays are left off. It reads the parts
 * only when asked, so a part not started yet shows as empty (no relays, readers stopped).
 * A port that cannot be bound is logged and the gate runs without the endpoint.
 */
export class HttpEndpointComponent implements Component {
  readonly name = "http";
  private endpoint: HttpEndpoint | undefined;

  constructor(
    private config: Config,
    private readonly deps: {
      readonly parts: ObservedParts;
      /** Present exactly when `http:` is. */
      readonly metrics: GateMetrics | undefined;
      readonly health: () => HealthReport;
      readonly clock: Clock;
      readonly logger: Logger;
      readonly version: string;
      /** The clock check behind `passgate_clock_synchronized`; default `timedatectl` (as `passgate doctor`). */
      readonly ntpSynchronized?: () => Promise<string | undefined>;
    },
  ) {}

  /** The bound port; undefined without `http:` or when it could not bind. */
  port(): number | undefined {
    return this.endpoint?.port();
  }

  async start(): Promise<void> {
    const { metrics, health, logger } = this.deps;
    if (this.config.http === undefined || metrics === undefined) return;
    const observed = this.observe();
    metrics.observe(metricSources(observed));
    this.endpoint = new HttpEndpoint(
      this.config.http.listen,
      { metrics: () => metrics.scrape(), health, status: () => buildStatus(observed) },
      logger.child({ component: "http" }),
    );
    await this.endpoint.start();
  }

  async stop(): Promise<void> {
    await this.endpoint?.stop();
  }

  /** `/status` shows the readers and relays of the config in force. */
  async reload(diff: ConfigDiff): Promise<void> {
    this.config = diff.effective;
  }

  private observe(): ObservedGate {
    const { parts, clock, health, version } = this.deps;
    const { storage } = parts;
    const clockSync = new ClockSyncCache(this.deps.ntpSynchronized ?? ntpSynchronized, () => clock.now());
    const noDrops: ReadonlyMap<string, number> = new Map();
    return {
      config: () => this.config,
      readers: () => parts.readers.set,
      relays: () => parts.relays.availability(),
      mqttConnected: () => parts.session.connected(),
      allowlist: () => storage.stores.allowlist.stats(),
      sync: () => parts.sync.status(),
      mode: () => storage.stores.mode.get().mode,
      databaseCorrupt: () => storage.corrupt(),
      decisionCounts: () => parts.gate.decisionCounts(),
      bridges: () => parts.bridges.views(),
      health,
      now: () => clock.now(),
      clockSynchronized: () => clockSync.synchronized(),
      mqttDrops: () => parts.session.parts?.connection.dropCounts() ?? noDrops,
      mqttRefused: () => parts.session.parts?.connection.refusedPublishes() ?? noDrops,
      siteRecords: () => parts.site.siteRecords(),
      zoneHeard: () => parts.site.zoneHeard(),
      startedAt: clock.now(),
      version,
    };
  }
}
