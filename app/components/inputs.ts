import type { Config, ReaderConfig } from "../../config/schema.js";
import { GateInputs } from "../../daemon/actuate/gate-inputs.js";
import type { ScanOutcome } from "../../daemon/gate/gate.js";
import type { JournalEntry } from "../../daemon/journal/journal-entry.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Component } from "../component.js";
import type { ConfigDiff } from "../reload/diff-config.js";
import type { GateMqttComponent } from "./gate-mqtt.js";
import type { ModeControlComponent } from "./mode-control.js";
import type { MqttSessionComponent } from "./mqtt-session.js";
import type { SiteShareComponent } from "./site-share.js";
import type { StorageComponent } from "./storage.js";
import type { TrustComponent } from "./trust.js";

/**
 * Owns the gate's MQTT inputs (GateInputs): turnstile rotation sensors, the fire-alarm
 * input, and what a grant becomes afterwards (a passage, a guardian notice, a token shared
 * with the site). Starts after the mode control (the fire alarm sets free passage), the
 * MQTT events and the site share it publishes through, and before the gate, which asks it
 * whether a reader's passages are sensed; stops before them, dropping the grants still
 * waiting for a rotation. A reload that changes the live part of `mqtt:` or the relays
 * starts it anew.
 */
export class InputsComponent implements Component {
  readonly name = "inputs";
  private inputs: GateInputs | undefined;

  constructor(
    private config: Config,
    private readonly deps: {
      readonly storage: StorageComponent;
      readonly session: MqttSessionComponent;
      readonly gateMqtt: GateMqttComponent;
      readonly modes: ModeControlComponent;
      readonly site: SiteShareComponent;
      /** Signs the guardian notices. */
      readonly trust: TrustComponent;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {}

  async start(): Promise<void> {
    const { storage, session, gateMqtt, modes, site, trust, clock, logger } = this.deps;
    const { db, journal, allowlist, presence } = storage.stores;
    this.inputs = new GateInputs(this.config, {
      db,
      journal,
      allowlist,
      presence,
      modes: modes.control,
      connection: session.parts?.connection,
      events: gateMqtt.events,
      site: site.site,
      sign: (topic, body) => trust.site.sign(topic, body),
      clock,
      logger: logger.child({ component: "passage" }),
    });
    this.inputs.start();
  }

  async stop(): Promise<void> {
    this.inputs?.stop();
  }

  async reload(diff: ConfigDiff): Promise<void> {
    if (!diff.actuation) return;
    await this.stop();
    this.config = diff.effective;
    await this.start();
  }

  /** For the gate: whether a rotation sensor confirms passages at this reader. */
  senses(readerId: string): boolean {
    return this.inputs?.senses(readerId) === true;
  }

  /** After an operator's open was journaled: a rotation at `readerId` is its passage. */
  operatorOpened(entry: JournalEntry, readerId: string): void {
    this.inputs?.operatorOpened(entry, readerId);
  }

  /** After a grant was journaled and its relays told to open. */
  granted(outcome: ScanOutcome, reader: ReaderConfig): void {
    this.inputs?.granted(outcome, reader);
  }
}
