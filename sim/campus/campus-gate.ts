import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { PassThrough } from "node:stream";
import { type RunningDaemon, startDaemon } from "../../app/gate-app.js";
import { openGateDatabase } from "../../app/gate-database.js";
import type { Config } from "../../config/schema.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import type { ScanOutcome } from "../../daemon/gate/gate.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Scan } from "../../reader-bridge/scan-source.js";
import { SyncStateStore } from "../../sync/sync-state.js";
import type { CampusBridge } from "./campus-bridge.js";
import type { GatePlan, LanePlan } from "./campus-config.js";
import { CampusLane, SkewedClock } from "./campus-lane.js";

export { CampusLane, SkewedClock } from "./campus-lane.js";

/**
 * How a campus gate's daemon runs: in the campus's process (`DaemonRunner`), or as a
 * `passgate run` child process (`GateProcess`, gate-process.ts).
 */
export interface GateRunner {
  /** Resolves once the gate runs: its database exists and it is on the broker. */
  start(): Promise<void>;
  /** A graceful stop (the gate publishes `offline` and checkpoints its journal). */
  stop(): Promise<void>;
  /** Asks the gate to pull now; a process gate has no such door and polls (every 5 s). */
  requestSync(): void;
  /** The gate's mode as it holds it (or last published it); undefined while it is not running. */
  mode(): string | undefined;
}

/** The gate's daemon in this process (`startDaemon`), which hands every decision to `onDecision`. */
export class DaemonRunner implements GateRunner {
  private daemon: RunningDaemon | undefined;

  constructor(
    private readonly config: Config,
    private readonly deps: {
      readonly clock: Clock;
      readonly logger: Logger;
      readonly onDecision: (outcome: ScanOutcome, scan: Scan) => void;
    },
  ) {}

  async start(): Promise<void> {
    mkdirSync(dirname(this.config.storage.path), { recursive: true });
    this.daemon = await startDaemon(this.config, {
      stdin: new PassThrough(),
      logger: this.deps.logger,
      clock: this.deps.clock,
      onDecision: this.deps.onDecision,
    });
  }

  async stop(): Promise<void> {
    await this.daemon?.stop();
    this.daemon = undefined;
  }

  requestSync(): void {
    this.daemon?.requestSync();
  }

  mode(): string | undefined {
    return this.daemon?.gate.currentMode();
  }
}

/** A running gate of the campus: its daemon (in process or a child process), its lanes and a view of its allowlist version. */
export class CampusGate {
  readonly lanes: CampusLane[];
  readonly clock: SkewedClock;
  private running: GateRunner | undefined;
  private view: { close(): void; version(): number; syncError(): string | undefined } | undefined;

  constructor(
    readonly plan: GatePlan,
    readonly config: Config,
    brokerUrl: string,
    protocolVersion: 4 | 5,
    campusClock: Clock,
    /**
     * Makes the bridge of a bridged lane, given the gate's clock: a bridge keeps its gate's
     * time (as both would from the site's NTP), so a skewed gate clock skews its bridge too.
     */
    makeBridge: (lane: LanePlan, clock: Clock) => CampusBridge | undefined = () => undefined,
  ) {
    this.clock = new SkewedClock(campusClock);
    this.lanes = plan.lanes.map(
      (l) => new CampusLane(l, brokerUrl, protocolVersion, l.bridged ? makeBridge(l, this.clock) : undefined),
    );
  }

  get id(): string {
    return this.plan.gate;
  }

  /** The gate's daemon, from start() on. */
  get runner(): GateRunner | undefined {
    return this.running;
  }

  /** Devices first (so relays are online when the gate looks), then the daemon. */
  async start(runner: GateRunner): Promise<void> {
    await this.startDevices();
    await this.startGate(runner);
  }

  /** The lanes' readers, relay boards and turnstiles (and bridges). */
  async startDevices(): Promise<void> {
    for (const lane of this.lanes) await lane.start();
  }

  /** The gate's daemon, once its devices run. */
  async startGate(runner: GateRunner): Promise<void> {
    this.running = runner;
    await runner.start();
    // A second connection to the gate's database (WAL: it sees each commit at once, from
    // this process or another) to judge each decision by the allowlist version the gate had.
    const db = openGateDatabase(this.config.storage, "read");
    const store = SqliteAllowlistStore.open(db);
    const sync = SyncStateStore.open(db);
    this.view = {
      close: () => db.close(),
      version: () => store.stats().version ?? 0,
      syncError: () => {
        const s = sync.get();
        const failing =
          s.lastAttemptAt !== null && (s.lastSuccessAt === null || s.lastAttemptAt > s.lastSuccessAt);
        return failing ? (s.lastError ?? "sync failed") : undefined;
      },
    };
  }

  /** The allowlist version the gate has applied (0 before the first sync). */
  allowlistVersion(): number {
    return this.view?.version() ?? 0;
  }

  /** The last sync's error while the gate's syncs fail (registry away); undefined when the last one worked. */
  syncError(): string | undefined {
    return this.view?.syncError();
  }

  requestSync(): void {
    this.running?.requestSync();
  }

  /** The gate's mode as the running gate holds it; undefined while it is not running. */
  mode(): string | undefined {
    return this.running?.mode();
  }

  /** Readers first (no new scans), then the daemon, then the devices. */
  async stop(): Promise<void> {
    for (const lane of this.lanes) await lane.stopReading();
    this.view?.close();
    this.view = undefined;
    await this.running?.stop();
    this.running = undefined;
    for (const lane of this.lanes) await lane.stop();
  }
}
