import type { Clock } from "../../platform/clock.js";
import type { DeviceEmulator } from "../devices/device-emulator.js";
import { ShellyGen1Emulator } from "../devices/shelly-gen1-emulator.js";
import { ShellyGen2Emulator } from "../devices/shelly-gen2-emulator.js";
import { TasmotaEmulator } from "../devices/tasmota-emulator.js";
import { TurnstileEmulator } from "../devices/turnstile-emulator.js";
import { MqttScannerEmulator } from "../scanners/mqtt-scanner-emulator.js";
import type { CampusBridge } from "./campus-bridge.js";
import type { LanePlan } from "./campus-config.js";

/** A gate's clock: the campus clock plus an offset the clock-skew fault sets. */
export class SkewedClock implements Clock {
  /** Each offset with the campus time it was set from, oldest first; the last is in force. */
  private readonly offsets: { readonly from: number; readonly offsetMs: number }[] = [
    { from: Number.NEGATIVE_INFINITY, offsetMs: 0 },
  ];
  constructor(private readonly base: Clock) {}

  get offsetMs(): number {
    return (this.offsets[this.offsets.length - 1] as { offsetMs: number }).offsetMs;
  }

  set offsetMs(offsetMs: number) {
    this.offsets.push({ from: this.base.now(), offsetMs });
    // A run sets it a few times a cycle; the stamps taken back are seconds old at most.
    if (this.offsets.length > 64) this.offsets.splice(0, this.offsets.length - 64);
  }

  now(): number {
    return this.base.now() + this.offsetMs;
  }

  /**
   * The campus time of a stamp this clock made, taken back with the offset in force when it
   * was made, not the one now: a gate's report of an apply made under a +40 s skew may
   * arrive after the skew ended. The offset is the latest whose span holds the stamp's
   * campus time, which cannot be later than now.
   */
  toCampus(stamp: number): number {
    const now = this.base.now();
    for (let i = this.offsets.length - 1; i >= 0; i--) {
      const { from, offsetMs } = this.offsets[i] as { from: number; offsetMs: number };
      const until = this.offsets[i + 1]?.from ?? now;
      const at = stamp - offsetMs;
      if (at >= from && at <= until) return at;
    }
    return stamp - this.offsetMs;
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
  /** Set while the lane's gate is down (its process killed): a code shown is read by no one. */
  gateDown = false;

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
   * Whether a code shown now is read: the gate runs, the reader's board is plugged in and online; for a
   * bridged lane, the bridge runs with its scanner open (the broker may be away: the bridge
   * keeps the scan until it is back, or drops it as stale).
   */
  get readable(): boolean {
    if (this.unplugged || this.gateDown) return false;
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
