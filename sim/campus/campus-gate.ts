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
import type { DeviceEmulator } from "../devices/device-emulator.js";
import { ShellyGen1Emulator } from "../devices/shelly-gen1-emulator.js";
import { ShellyGen2Emulator } from "../devices/shelly-gen2-emulator.js";
import { TasmotaEmulator } from "../devices/tasmota-emulator.js";
import { TurnstileEmulator } from "../devices/turnstile-emulator.js";
import { MqttScannerEmulator } from "../scanners/mqtt-scanner-emulator.js";
import type { CampusBridge } from "./campus-bridge.js";
import type { GatePlan, LanePlan } from "./campus-config.js";

/** A gate's clock: the campus clock plus an offset the clock-skew fault sets. */
export class SkewedClock implements Clock {
  offsetMs = 0;
  constructor(private readonly base: Clock) {}
  now(): number {
    return this.base.now() + this.offsetMs;
  }
}

/**
 * A lane's devices: the reader (a firmware reader on MQTT, or a serial scanner read by a
 * reader bridge), the relay board and the turnstile's rotation sensor.
 */
export class CampusLane {
  /** The firmware reader; absent on a bridged lane. */
  private scanner: MqttScannerEmulator | undefined;
  readonly board: DeviceEmulator;
  readonly turnstile: TurnstileEmulator;
  /** Set while the reader is unplugged (its board, or the bridge's, is off the network). */
  unplugged = false;

  constructor(
    readonly plan: LanePlan,
    private readonly brokerUrl: string,
    protocolVersion: 4 | 5,
    /** The lane's reader bridge, when the lane is bridged. */
    readonly bridge?: CampusBridge,
  ) {
    this.scanner = bridge === undefined ? this.newScanner() : undefined;
    const board = plan.board;
    this.board =
      board.type === "tasmota"
        ? new TasmotaEmulator(board.topic)
        : board.type === "shelly-gen1"
          ? new ShellyGen1Emulator(board.id)
          : new ShellyGen2Emulator(board.id, protocolVersion);
    this.turnstile = new TurnstileEmulator(plan.rotationTopic, plan.rotationPayload);
  }

  get id(): string {
    return `${this.plan.gate}/${this.plan.reader}`;
  }

  async start(): Promise<void> {
    await this.board.start(this.brokerUrl);
    await this.turnstile.start(this.brokerUrl);
    await this.scanner?.start(this.brokerUrl);
    await this.bridge?.start();
  }

  /**
   * Whether a code shown now is read: the reader's board is plugged in and online; for a
   * bridged lane, the bridge runs with its scanner open (the broker may be away: the bridge
   * keeps the scan until it is back, or drops it as stale).
   */
  get readable(): boolean {
    if (this.unplugged) return false;
    return this.bridge === undefined ? (this.scanner?.connected ?? false) : this.bridge.reading;
  }

  /** Shows a code to the reader: published by the firmware reader, or typed into the bridge's scanner. */
  scan(text: string): Promise<void> {
    if (this.bridge !== undefined) return this.bridge.scan(text);
    if (this.scanner === undefined) return Promise.reject(new Error(`${this.id}: no reader`));
    return this.scanner.scan(text);
  }

  /**
   * The reader's board loses power: the firmware reader leaves the broker (LWT Offline), or
   * the bridge stops; codes shown are not read.
   */
  async unplug(): Promise<void> {
    this.unplugged = true;
    if (this.bridge !== undefined) await this.bridge.unplug();
    else await this.scanner?.stop();
  }

  /** Power back: a new session, as a rebooted board makes; a bridge with the same config and key. */
  async plugIn(): Promise<void> {
    if (this.bridge !== undefined) await this.bridge.plugIn();
    else {
      this.scanner = this.newScanner();
      await this.scanner.start(this.brokerUrl);
    }
    this.unplugged = false;
  }

  /** No more codes read: the firmware reader leaves, or the bridge stops. */
  async stopReading(): Promise<void> {
    if (this.bridge !== undefined) await this.bridge.unplug();
    else await this.scanner?.stop();
  }

  async stop(): Promise<void> {
    await this.scanner?.stop();
    await this.bridge?.stop();
    await this.turnstile.stop();
    await this.board.stop();
  }

  private newScanner(): MqttScannerEmulator {
    return new MqttScannerEmulator({ format: "tasmota", deviceTopic: this.plan.readerTopic });
  }
}

/** A running gate of the campus: its daemon (in process), its lanes and a view of its allowlist version. */
export class CampusGate {
  readonly lanes: CampusLane[];
  readonly clock: SkewedClock;
  private daemon: RunningDaemon | undefined;
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

  /** Devices first (so relays are online when the gate looks), then the daemon. */
  async start(logger: Logger, onDecision: (outcome: ScanOutcome, scan: Scan) => void): Promise<void> {
    for (const lane of this.lanes) await lane.start();
    mkdirSync(dirname(this.config.storage.path), { recursive: true });
    this.daemon = await startDaemon(this.config, {
      stdin: new PassThrough(),
      logger: logger.child({ gate: this.id }),
      clock: this.clock,
      onDecision,
    });
    // A second connection to the gate's database (WAL: it sees each commit at once) to
    // judge each decision by the allowlist version the gate had when it decided.
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
    this.daemon?.requestSync();
  }

  /** The gate's mode as the running gate holds it; undefined while it is not running. */
  mode(): string | undefined {
    return this.daemon?.gate.currentMode();
  }

  /** Readers first (no new scans), then the daemon, then the devices. */
  async stop(): Promise<void> {
    for (const lane of this.lanes) await lane.stopReading();
    this.view?.close();
    this.view = undefined;
    await this.daemon?.stop();
    this.daemon = undefined;
    for (const lane of this.lanes) await lane.stop();
  }
}
