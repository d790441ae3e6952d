import type { Config } from "../../config/schema.js";
import { GateModeControl } from "../../daemon/actuate/gate-mode-control.js";
import type { Clock } from "../../platform/clock.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Component } from "../component.js";
import type { StorageComponent } from "./storage.js";

/** How often the database is read for a mode another process (`passgate mode set`) wrote. */
const ADOPT_POLL_MS = 500;

/**
 * Owns the gate mode's control (normal, lockdown, free passage): changes are persisted and
 * journaled (GateModeControl), and a mode the CLI wrote to the database is adopted within
 * half a second. Starts before the relays and the MQTT events, which follow its changes
 * (free passage holds the relays open; the retained state shows the mode), and stops after
 * them, so no change reaches a part that has stopped.
 */
export class ModeControlComponent implements Component {
  readonly name = "mode";
  private modes: GateModeControl | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: Config,
    private readonly deps: {
      readonly storage: StorageComponent;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {}

  /** The control, from `start()` on. */
  get control(): GateModeControl {
    if (this.modes === undefined) throw new Error("mode control is not started");
    return this.modes;
  }

  async start(): Promise<void> {
    const { db, mode, journal } = this.deps.storage.stores;
    const modes = new GateModeControl({
      db,
      mode,
      journal,
      gate: this.config.gate,
      clock: this.deps.clock,
      logger: this.deps.logger.child({ component: "mode" }),
    });
    this.modes = modes;
    this.timer = setInterval(() => {
      try {
        modes.adoptPersisted();
      } catch (err) {
        this.deps.logger.error(
          { component: "mode", err: describeError(err) },
          "reading the persisted mode failed",
        );
      }
    }, ADOPT_POLL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }
}
