import { DeviceEmulator } from "./device-emulator.js";

/**
 * A Shelly Gen1 relay (Shelly 1, 2.5…) on MQTT 3.1.1: `shellies/<id>/relay/<n>/command`
 * on/off/toggle, state `shellies/<id>/relay/<n>`, retained `shellies/<id>/online`
 * true/false. `autoOffMs` is the device's "Auto OFF" setting.
 */
export class ShellyGen1Emulator extends DeviceEmulator {
  protected readonly protocolVersion = 4;
  protected readonly will;
  protected readonly commandFilter;
  readonly relay = new Map<number, boolean>();
  private readonly autoOff = new Map<number, NodeJS.Timeout>();
  /** When the relay last switched on, per index: the open lasts until "off". */
  private onSince = new Map<number, number>();
  /** Completed opens as (on, off) pairs. */
  readonly cycles: { on: number; off: number }[] = [];

  constructor(
    readonly deviceId: string,
    private readonly autoOffMs = 0,
  ) {
    super();
    this.will = { topic: `shellies/${deviceId}/online`, offline: "false", online: "true" };
    this.commandFilter = `shellies/${deviceId}/relay/+/command`;
  }

  protected handle(topic: string, payload: string): void {
    const m = /\/relay\/(\d)\/command$/.exec(topic);
    if (m === null) return;
    const n = Number(m[1]);
    const on = payload === "on" || (payload === "toggle" && !this.relay.get(n));
    if (payload !== "on" && payload !== "off" && payload !== "toggle") return;
    if (on) {
      this.recordOpen(this.autoOffMs);
      this.onSince.set(n, Date.now());
      clearTimeout(this.autoOff.get(n));
      if (this.autoOffMs > 0)
        this.autoOff.set(
          n,
          setTimeout(() => this.set(n, false), this.autoOffMs),
        );
    }
    this.set(n, on);
  }

  isOn(n: number): boolean {
    return this.relay.get(n) === true;
  }

  private set(n: number, on: boolean): void {
    const was = this.relay.get(n) === true;
    this.relay.set(n, on);
    if (was && !on) this.cycles.push({ on: this.onSince.get(n) ?? 0, off: Date.now() });
    if (this.reportState) this.publish(`shellies/${this.deviceId}/relay/${n}`, on ? "on" : "off");
  }

  override async stop(): Promise<void> {
    for (const t of this.autoOff.values()) clearTimeout(t);
    this.onSince = new Map();
    await super.stop();
  }
}
