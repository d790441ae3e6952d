import { DeviceEmulator } from "./device-emulator.js";

/**
 * A Shelly Gen2+ device (Plus 1, Pro 4PM…) on MQTT 5: JSON-RPC frames on `<id>/rpc`,
 * replies on `<src>/rpc`; `Switch.Set` with `on` and `toggle_after` (seconds);
 * retained `<id>/online` true/false; status on `<id>/status/switch:<n>`.
 */
export class ShellyGen2Emulator extends DeviceEmulator {
  protected readonly will;
  protected readonly commandFilter;
  readonly output = new Map<number, boolean>();
  private readonly timers = new Map<number, NodeJS.Timeout>();

  /** `protocolVersion` 4 for brokers without MQTT 5 (the embedded aedes); the device's frames are the same. */
  constructor(
    readonly deviceId: string,
    protected readonly protocolVersion: 4 | 5 = 5,
  ) {
    super();
    this.will = { topic: `${deviceId}/online`, offline: "false", online: "true" };
    this.commandFilter = `${deviceId}/rpc`;
  }

  protected handle(_topic: string, payload: string): void {
    let frame: { id?: unknown; src?: unknown; method?: unknown; params?: Record<string, unknown> };
    try {
      frame = JSON.parse(payload) as typeof frame;
    } catch {
      return;
    }
    if (typeof frame.src !== "string" || typeof frame.id !== "number") return;
    const reply = (body: Record<string, unknown>) =>
      this.publish(
        `${frame.src}/rpc`,
        JSON.stringify({ id: frame.id, src: this.deviceId, dst: frame.src, ...body }),
      );
    if (frame.method !== "Switch.Set") {
      reply({ error: { code: 404, message: "No handler for method" } });
      return;
    }
    const n = Number(frame.params?.id ?? 0);
    const on = frame.params?.on === true;
    const toggleAfter = frame.params?.toggle_after;
    const was = this.output.get(n) === true;
    this.set(n, on);
    clearTimeout(this.timers.get(n));
    if (on) {
      const ms = typeof toggleAfter === "number" ? Math.round(toggleAfter * 1000) : 0;
      this.recordOpen(ms);
      if (ms > 0)
        this.timers.set(
          n,
          setTimeout(() => this.set(n, false), ms),
        );
    }
    if (this.reportState) reply({ result: { was_on: was } });
  }

  isOn(n: number): boolean {
    return this.output.get(n) === true;
  }

  private set(n: number, on: boolean): void {
    this.output.set(n, on);
    this.publish(`${this.deviceId}/status/switch:${n}`, JSON.stringify({ id: n, output: on }));
  }

  override async stop(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    await super.stop();
  }
}
