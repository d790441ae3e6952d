import { tasmotaPulseMs } from "../../daemon/actuate/tasmota-pulse-time.js";
import { DeviceEmulator } from "./device-emulator.js";

/**
 * A Tasmota relay board on MQTT 3.1.1: `cmnd/<topic>/POWER<n>` (ON/OFF/1/0/TOGGLE) and
 * `PulseTime<n>`; reports `stat/<topic>/POWER<n>` and `stat/<topic>/RESULT`; availability
 * `tele/<topic>/LWT` Online/Offline, retained.
 */
export class TasmotaEmulator extends DeviceEmulator {
  protected readonly protocolVersion = 4;
  protected readonly will;
  protected readonly commandFilter;
  /** PulseTime per relay index (0 = no pulse). */
  readonly pulseTime = new Map<number, number>();
  readonly power = new Map<number, boolean>();
  private readonly offTimers = new Map<number, NodeJS.Timeout>();

  constructor(readonly topic: string) {
    super();
    this.will = { topic: `tele/${topic}/LWT`, offline: "Offline", online: "Online" };
    this.commandFilter = `cmnd/${topic}/+`;
  }

  protected handle(topic: string, payload: string): void {
    const command = topic.slice(`cmnd/${this.topic}/`.length);
    const pulse = /^PulseTime(\d)$/i.exec(command);
    if (pulse !== null) {
      const n = Number(pulse[1]);
      const value = Number(payload);
      if (Number.isInteger(value) && value >= 0 && value <= 64_900) this.pulseTime.set(n, value);
      this.publish(
        `stat/${this.topic}/RESULT`,
        JSON.stringify({ [`PulseTime${n}`]: this.pulseTime.get(n) ?? 0 }),
      );
      return;
    }
    const power = /^POWER(\d?)$/i.exec(command);
    if (power === null) return;
    const n = power[1] === "" ? 1 : Number(power[1]);
    const p = payload.toUpperCase();
    const on = p === "ON" || p === "1" || (p === "TOGGLE" && !this.power.get(n));
    this.set(n, on);
    if (on) {
      const value = this.pulseTime.get(n) ?? 0;
      const ms = value === 0 ? 0 : tasmotaPulseMs(value);
      this.recordOpen(ms);
      clearTimeout(this.offTimers.get(n));
      if (ms > 0)
        this.offTimers.set(
          n,
          setTimeout(() => this.set(n, false), ms),
        );
    }
  }

  isOn(n: number): boolean {
    return this.power.get(n) === true;
  }

  private set(n: number, on: boolean): void {
    this.power.set(n, on);
    if (!this.reportState) return;
    const state = on ? "ON" : "OFF";
    this.publish(`stat/${this.topic}/RESULT`, JSON.stringify({ [`POWER${n}`]: state }));
    this.publish(`stat/${this.topic}/POWER${n}`, state);
  }

  override async stop(): Promise<void> {
    for (const t of this.offTimers.values()) clearTimeout(t);
    await super.stop();
  }
}
