import { type Config, syncedRegistry } from "../../config/schema.js";
import { registryChangedSchema } from "../../daemon/mqtt/topics.js";
import type { Clock } from "../../platform/clock.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import { backlogSize } from "../../sync/event-uploader.js";
import { type RunningSync, startRegistrySync } from "../../sync/start-sync.js";
import { SyncStateStore, type SyncStatus } from "../../sync/sync-state.js";
import type { Component } from "../component.js";
import type { GateMetrics } from "../http/gate-metrics.js";
import type { ConfigDiff } from "../reload/diff-config.js";
import type { GateMqttComponent } from "./gate-mqtt.js";
import type { MqttSessionComponent } from "./mqtt-session.js";
import type { RetiredAllowlistsComponent } from "./retired-allowlists.js";
import type { StorageComponent } from "./storage.js";

/**
 * Owns registry sync (with `registry:`, sync/start-sync.ts): the pull and upload loop with
 * its staleness watch, and the registry's MQTT push, which asks for a pull at once. A
 * failing registry never stops the gate: a sync that cannot start is logged and the gate
 * runs on the allowlist it has. Starts after the gate (the allowlist it replaces is then
 * in use, and the first pull may come at once) and just before the readers; its stop
 * aborts a pull or upload in flight, so it does not hold up the relays' stop behind it.
 * A reload that changes `registry:` or `sync:` (other than staleness) restarts the loop.
 */
export class RegistrySyncComponent implements Component {
  readonly name = "sync";
  private running: RunningSync | undefined;
  private unsubscribe: (() => void) | undefined;
  private state: SyncStateStore | undefined;

  constructor(
    private config: Config,
    private readonly deps: {
      readonly storage: StorageComponent;
      readonly session: MqttSessionComponent;
      readonly clock: Clock;
      readonly logger: Logger;
      /** Counts failed pulls; absent without `http:`. */
      readonly metrics: GateMetrics | undefined;
      /** Where the staleness alarm is published as an event, with `mqtt:`. */
      readonly gateMqtt?: GateMqttComponent;
      /** Clears the allowlists an apply replaced, paced; absent: each apply clears them itself. */
      readonly retired?: RetiredAllowlistsComponent;
    },
  ) {}

  async start(): Promise<void> {
    this.running = this.startSync();
    const mqtt = this.deps.session.parts;
    if (mqtt !== undefined && this.running !== undefined) {
      // The registry's push: pull at once instead of waiting for the next poll.
      this.unsubscribe = mqtt.connection.subscribeParsed(
        mqtt.topics.registryChanged,
        "json",
        registryChangedSchema,
        "registry_push",
        () => this.requestSync(),
      );
    }
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.running?.stop();
  }

  async reload(diff: ConfigDiff): Promise<void> {
    this.config = diff.effective;
    if (!diff.sync) return;
    await this.running?.stop();
    this.running = this.startSync();
  }

  /** Pull now; does nothing without `registry:`. */
  requestSync(): void {
    this.running?.requestSync();
  }

  /** Epoch ms of the last pull the registry answered (a new body or "not modified"); undefined before one or without a registry. */
  lastSuccessAt(): number | undefined {
    if (syncedRegistry(this.config) === undefined) return undefined;
    this.state ??= SyncStateStore.open(this.deps.storage.stores.db);
    return this.state.get().lastSuccessAt ?? undefined;
  }

  /** What `/status` and the backlog gauge show; undefined without a registry URL. */
  status(): { readonly state: SyncStatus; readonly backlog: number } | undefined {
    if (syncedRegistry(this.config) === undefined) return undefined;
    const { db, journal } = this.deps.storage.stores;
    this.state ??= SyncStateStore.open(db);
    return { state: this.state.get(), backlog: backlogSize(journal, this.state) };
  }

  private startSync(): RunningSync | undefined {
    const { storage, clock, logger, metrics } = this.deps;
    const { db, allowlist, journal } = storage.stores;
    try {
      return startRegistrySync(this.config, {
        db,
        store: allowlist,
        journal,
        clock,
        logger: logger.child({ component: "sync" }),
        ...(this.deps.retired === undefined ? {} : { retired: this.deps.retired }),
        onStale: (alarm) =>
          this.deps.gateMqtt?.events?.publishEvent({
            type: "alarm",
            at: alarm.at,
            gate: this.config.gate,
            result: "allowlist_stale",
            role: alarm.role,
            budgetMs: alarm.budgetMs,
            ageMs: alarm.ageMs,
          }),
        onPulled: (outcome) => {
          if (outcome.kind !== "applied" && outcome.kind !== "not_modified" && outcome.kind !== "stopped")
            metrics?.syncFailed();
        },
      });
    } catch (err) {
      logger.error(
        { err: describeError(err) },
        "registry sync failed to start; the gate runs on its allowlist",
      );
      return undefined;
    }
  }
}
