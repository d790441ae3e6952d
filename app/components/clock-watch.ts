import type { Config } from "../../config/schema.js";
import { alarmRecord } from "../../daemon/journal/journal-entry.js";
import type { Clock } from "../../platform/clock.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { ClockSyncProbe } from "../clock-sync-probe.js";
import type { Component } from "../component.js";
import type { GateMqttComponent } from "./gate-mqtt.js";
import type { StorageComponent } from "./storage.js";

/** How often the clock's sync is asked, ms. */
export const CLOCK_CHECK_MS = 60_000;

/**
 * Watches whether the gate's clock is NTP-synchronised (TOTP steps and schedules depend on
 * it): asks at start and every minute. A clock found unsynchronised raises `clock_unsynced`
 * once per change (journaled, published as an event); every change of the answer goes into
 * the retained state. A gate that cannot tell (no timedatectl) raises nothing and its state
 * has no `clock`. Starts after gate-mqtt, which it publishes through.
 */
export class ClockWatchComponent implements Component {
  readonly name = "clock-watch";
  private timer: NodeJS.Timeout | undefined;
  private answer: boolean | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly config: Config,
    private readonly deps: {
      readonly storage: StorageComponent;
      readonly gateMqtt: GateMqttComponent;
      readonly probe: ClockSyncProbe;
      /** Default `CLOCK_CHECK_MS`. */
      readonly everyMs?: number;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {}

  /** The last answer: undefined before the first one and where the gate cannot tell. */
  get synced(): boolean | undefined {
    return this.answer;
  }

  async start(): Promise<void> {
    // Not awaited: timedatectl may take seconds, and the gate need not wait to decide.
    this.checkOnce();
    this.timer = setInterval(() => this.checkOnce(), this.deps.everyMs ?? CLOCK_CHECK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
  }

  /** One check at a time: a probe slower than the interval is not asked twice. */
  private checkOnce(): void {
    this.checking ??= this.check().finally(() => {
      this.checking = undefined;
    });
  }

  private async check(): Promise<void> {
    const { probe, clock, storage, gateMqtt } = this.deps;
    const log = this.deps.logger.child({ component: "clock" });
    let now: boolean | undefined;
    try {
      now = await probe();
    } catch (err) {
      log.warn({ err: describeError(err) }, "cannot tell whether the clock is synchronised");
      now = undefined;
    }
    const before = this.answer;
    this.answer = now;
    if (now === before) return;
    if (now === false) {
      const at = clock.now();
      const gate = this.config.gate;
      log.error("the clock is not NTP-synchronised: codes may be refused as expired");
      try {
        storage.stores.journal.append(alarmRecord({ at, gate, reason: "clock_unsynced" }));
      } catch (err) {
        log.error({ err: describeError(err) }, "could not journal the clock_unsynced alarm");
      }
      gateMqtt.events?.publishEvent({ type: "alarm", at, gate, result: "clock_unsynced" });
    } else if (now === true && before === false) log.info("the clock is NTP-synchronised again");
    gateMqtt.republishState();
  }
}
