import { type Config, type ReaderConfig, syncedRegistry } from "../../config/schema.js";
import { stalenessBudgets } from "../../daemon/decide/staleness.js";
import { Gate, type GateSettings, type ScanOutcome } from "../../daemon/gate/gate.js";
import { LockoutTracker } from "../../daemon/state/lockout-tracker.js";
import { ReaderGuesses } from "../../daemon/state/reader-guesses.js";
import { TokenVerifier } from "../../daemon/verify/verify-token.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import type { FeedbackResult, Scan } from "../../reader-bridge/scan-source.js";
import type { Component } from "../component.js";
import { raiseDatabaseAlarm } from "../database-alarm.js";
import type { GateMetrics } from "../http/gate-metrics.js";
import type { ConfigDiff } from "../reload/diff-config.js";
import { scanPipeline } from "../scan-pipeline.js";
import type { GateMqttComponent } from "./gate-mqtt.js";
import type { InputsComponent } from "./inputs.js";
import type { MqttSessionComponent } from "./mqtt-session.js";
import type { RelaysComponent } from "./relays.js";
import type { SiteShareComponent } from "./site-share.js";
import type { StorageComponent } from "./storage.js";
import type { TrustComponent } from "./trust.js";

export interface GateDeps {
  readonly storage: StorageComponent;
  readonly session: MqttSessionComponent;
  readonly relays: RelaysComponent;
  readonly gateMqtt: GateMqttComponent;
  readonly inputs: InputsComponent;
  /** Whether this gate hears its zone, for fail-closed anti-passback; absent: always. */
  readonly site?: SiteShareComponent | undefined;
  /** Signs the answers to a reader bridge's scans. */
  readonly trust: TrustComponent;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: GateMetrics | undefined;
  /** Told each decision after it was journaled and actuated (the demo prints it). */
  readonly onDecision: ((outcome: ScanOutcome, scan: Scan) => void) | undefined;
}

/**
 * Owns the decision core (Gate: verify, decide, journal) and the scan pipeline around it
 * (app/scan-pipeline.ts: count, log, actuate, publish, feedback). Starts after everything
 * a decision uses (stores, relays, inputs, MQTT events) and before the readers that feed
 * it, so the first scan finds a whole gate; it logs "gate starting" once it can decide. A
 * reload that changes the policy, time zone, token window or staleness budgets swaps them
 * in one synchronous step, so a scan is decided wholly by the old settings or the new.
 */
export class GateComponent implements Component {
  readonly name = "gate";
  private core: Gate | undefined;
  private pipeline: ((reader: ReaderConfig, scan: Scan) => FeedbackResult) | undefined;
  private unwatchDatabase: (() => void) | undefined;

  constructor(
    private readonly config: Config,
    private readonly deps: GateDeps,
  ) {}

  /** The decision core, from `start()` on. */
  get gate(): Gate {
    if (this.core === undefined) throw new Error("the gate is not started");
    return this.core;
  }

  async start(): Promise<void> {
    const { config, deps } = this;
    const { db, allowlist, journal, replay, presence, mode } = deps.storage.stores;
    const site = deps.site;
    const gate = new Gate(this.settings(config), {
      db,
      allowlist,
      verifier: new TokenVerifier(config.token.window),
      journal,
      replay,
      presence,
      lockout: new LockoutTracker(db, config.policy.lockout),
      guesses: new ReaderGuesses(db, config.policy.guessLimit),
      mode,
      relayAvailable: (readerId) => deps.relays.availableFor(readerId),
      siteReachable: site === undefined ? undefined : () => site.hearsZone(),
      database: deps.storage,
      clock: deps.clock,
      logger: deps.logger.child({ component: "gate" }),
    });
    const mqtt = deps.session.parts;
    this.pipeline = scanPipeline({
      gate,
      relays: deps.relays,
      events: deps.gateMqtt.events,
      inputs: deps.inputs,
      clock: deps.clock,
      logger: deps.logger,
      metrics: deps.metrics,
      feedback:
        mqtt === undefined
          ? undefined
          : {
              connection: mqtt.connection,
              topics: mqtt.topics,
              sign: (topic, body) => deps.trust.site.sign(topic, body),
            },
      onDecision: deps.onDecision,
    });
    this.core = gate;
    // Here, where both the journal and the events are at hand; at once if quick_check found it at start.
    this.unwatchDatabase = deps.storage.onCorruption((finding) =>
      raiseDatabaseAlarm(finding, {
        gate: config.gate,
        journal,
        events: deps.gateMqtt.events,
        connection: mqtt?.connection,
        logger: deps.logger,
      }),
    );
    this.announce();
  }

  async stop(): Promise<void> {
    this.unwatchDatabase?.();
  }

  async reload(diff: ConfigDiff): Promise<void> {
    if (!diff.gateSettings) return;
    const c = diff.effective;
    // Built before the swap, swapped in one synchronous step: no scan sees half of it.
    this.core?.updateSettings(this.settings(c), {
      verifier: new TokenVerifier(c.token.window),
      lockout: new LockoutTracker(this.deps.storage.stores.db, c.policy.lockout),
      guesses: new ReaderGuesses(this.deps.storage.stores.db, c.policy.guessLimit),
    });
  }

  /** One scan a reader delivered: decided, journaled, actuated; returns the reader's feedback. */
  scan(reader: ReaderConfig, scan: Scan): FeedbackResult {
    if (this.pipeline === undefined) throw new Error("the gate is not started");
    return this.pipeline(reader, scan);
  }

  /** Decisions so far by `result:reason`; empty before the start. */
  decisionCounts(): ReadonlyMap<string, number> {
    return this.core?.decisionCounts() ?? new Map();
  }

  private settings(c: Config): GateSettings {
    return {
      gate: c.gate,
      timezone: c.timezone,
      policy: c.policy,
      window: c.token.window,
      staleness: stalenessBudgets(c),
      passageSensed: (readerId) => this.deps.inputs.senses(readerId),
    };
  }

  private announce(): void {
    const { config } = this;
    const { logger, storage } = this.deps;
    const stats = storage.stores.allowlist.stats();
    logger.info(
      {
        site: config.site,
        gate: config.gate,
        mode: storage.stores.mode.get().mode,
        allowlistVersion: stats.version,
        credentials: stats.count,
      },
      "gate starting",
    );
    if (stats.count === 0) {
      logger.warn(
        syncedRegistry(config) === undefined
          ? "the allowlist is empty: every scan is denied until one is imported (passgate allowlist import)"
          : "the allowlist is empty: every scan is denied until the first sync with the registry",
      );
    }
  }
}
