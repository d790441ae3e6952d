import type { IClientPublishOptions } from "mqtt";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import type { MqttConnection } from "../mqtt/mqtt-connection.js";
import { type PulseCommand, type RelayDriver, RelayError } from "./relay-driver.js";

/** What every MQTT relay driver receives from the factory. */
export interface MqttRelayDeps {
  readonly connection: MqttConnection;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Longest MQTT 5 message expiry of an open command, ms (`mqtt.commandExpiry`). */
  readonly commandExpiryMs: number;
  /** How long to wait for the device's confirmation, ms (`mqtt.confirmTimeout`). */
  readonly confirmTimeoutMs: number;
}

interface Waiter {
  readonly key: string;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * What the MQTT drivers share: the device's availability (from its will topic), the
 * checks before a pulse (late → `late`, broker or device away → `offline`), the expiry
 * put on the wire, and waiting for the device's confirmation. A subclass says which
 * topics to read and what to publish.
 */
export abstract class MqttRelayBase implements RelayDriver {
  /** Unknown until the device's retained availability arrives: treated as offline. */
  protected deviceOnline: boolean | undefined;
  private readonly waiters: Waiter[] = [];
  private readonly unsubscribes: (() => void)[] = [];

  constructor(
    readonly id: string,
    protected readonly deps: MqttRelayDeps,
  ) {}

  /** Subscribes to the device's topics; returns their unsubscribes. */
  protected abstract subscribeDevice(): (() => void)[];
  /** Publishes the open; `key` is what `confirm(key)` will be called with. */
  protected abstract sendOpen(command: PulseCommand, key: string, wire: IClientPublishOptions): boolean;
  /** Publishes "stay on" (no timer) or "off"; false when it could not be sent. */
  protected abstract sendHold(open: boolean): boolean;

  /** Whether free passage holds this relay open. */
  private held = false;

  async hold(open: boolean): Promise<void> {
    this.held = open;
    if (!this.deps.connection.connected || !this.sendHold(open)) {
      // Kept: sent when the board or the broker returns.
      throw new RelayError("offline", `relay ${this.id}: hold not sent, broker unreachable`);
    }
  }

  async start(): Promise<void> {
    this.unsubscribes.push(...this.subscribeDevice());
    // What we knew may be stale after an outage (a broker restarted without persistence has
    // lost the board's will): unknown, so offline, until the board's status arrives again.
    this.unsubscribes.push(
      this.deps.connection.onConnection((up) => {
        if (!up) this.deviceOnline = undefined;
      }),
    );
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribes.splice(0)) u();
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new RelayError("stopped", `relay ${this.id}: driver stopped`));
    }
  }

  available(): boolean {
    return this.deps.connection.connected && this.deviceOnline === true;
  }

  async pulse(command: PulseCommand): Promise<void> {
    const now = this.deps.clock.now();
    if (now > command.notAfter) throw new RelayError("late", `relay ${this.id}: command past its deadline`);
    if (!this.deps.connection.connected)
      throw new RelayError("offline", `relay ${this.id}: broker unreachable`);
    if (this.deviceOnline !== true) throw new RelayError("offline", `relay ${this.id}: device offline`);
    const key = command.decisionId;
    const wire: IClientPublishOptions = {
      qos: 0,
      properties: { messageExpiryInterval: this.expirySeconds(command.notAfter - now) },
    };
    if (!this.sendOpen(command, key, wire))
      throw new RelayError("offline", `relay ${this.id}: broker unreachable`);
    // The command first, the wait for its confirmation after: the confirmation can only
    // arrive on a later turn of the event loop, and the open need not wait for a timer's set-up.
    await this.awaitConfirmation(key);
  }

  /** Whole seconds (MQTT's unit), at least 1, at most the configured expiry and the time left. */
  private expirySeconds(leftMs: number): number {
    return Math.max(1, Math.min(Math.ceil(this.deps.commandExpiryMs / 1000), Math.ceil(leftMs / 1000)));
  }

  /** Resolves the waiter for `key`, or with `key` undefined the oldest waiter. */
  protected confirm(key?: string): void {
    const i = key === undefined ? 0 : this.waiters.findIndex((w) => w.key === key);
    const waiter = this.waiters[i];
    if (waiter === undefined) return;
    this.waiters.splice(i, 1);
    clearTimeout(waiter.timer);
    waiter.resolve();
  }

  protected fail(key: string, err: Error): void {
    const i = this.waiters.findIndex((w) => w.key === key);
    const waiter = this.waiters[i];
    if (waiter === undefined) return;
    this.waiters.splice(i, 1);
    clearTimeout(waiter.timer);
    waiter.reject(err);
  }

  protected setDeviceOnline(online: boolean): void {
    if (online === this.deviceOnline) return;
    this.deviceOnline = online;
    // A board that restarted has forgotten the hold.
    if (online && this.held) this.sendHold(true);
    this.deps.logger.info({ online }, online ? "relay board online" : "relay board offline");
  }

  private awaitConfirmation(key: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.fail(key, new RelayError("unconfirmed", `relay ${this.id}: no confirmation from the device`)),
        this.deps.confirmTimeoutMs,
      );
      this.waiters.push({ key, resolve, reject, timer });
    });
  }
}
