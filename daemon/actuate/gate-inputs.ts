import { z } from "zod";
import type { Config, ReaderConfig } from "../../config/schema.js";
import type { Clock } from "../../platform/clock.js";
import type { Db } from "../../platform/database/database.js";
import type { Logger } from "../../platform/log/logger.js";
import type { AllowlistStore } from "../allowlist/allowlist-store.js";
import { shownName } from "../allowlist/shown-name.js";
import type { ScanOutcome } from "../gate/gate.js";
import type { Journal } from "../journal/journal.js";
import type { JournalEntry } from "../journal/journal-entry.js";
import type { GateMqtt } from "../mqtt/gate-mqtt.js";
import type { MqttConnection } from "../mqtt/mqtt-connection.js";
import type { GuardianNotice } from "../mqtt/topics.js";
import { type PassageOutcome, PassageTracker } from "../passage/passage-tracker.js";
import type { SiteShare } from "../site/site-share.js";
import type { PresenceStore } from "../state/presence-store.js";
import { replayExpiry } from "../state/replay-guard.js";
import { MAX_MESSAGE_BYTES } from "../trust/signed-message.js";
import type { GateModeControl } from "./gate-mode-control.js";

const inputPayload = z.string().max(64);

export interface GateInputsDeps {
  readonly db: Db;
  readonly journal: Journal;
  readonly allowlist: AllowlistStore;
  /** The gate's one presence store: a sensed passage moves the state anti-passback reads. */
  readonly presence: PresenceStore;
  readonly modes: GateModeControl;
  /** The gate's MQTT session; without it there are no inputs, and grants are the passages. */
  readonly connection: MqttConnection | undefined;
  /** Where passages, alarms and guardian notices are published. */
  readonly events: GateMqtt | undefined;
  /** Sharing with the site's other gates, when on. */
  readonly site: SiteShare | undefined;
  /** Signs a message of this gate for a topic (SiteTrust.sign); undefined without a key: no notices then. */
  readonly sign: (topic: string, body: Record<string, unknown>) => string | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The gate's MQTT inputs and what a grant becomes afterwards: rotation sensors (a grant
 * at a sensed reader waits for its rotation, daemon/passage), the fire-alarm input (free
 * passage while it is active), guardian notices on a passage, and the site links (the
 * accepted token and the passage shared with the site's other gates). The constructor
 * stores; `start` subscribes, `stop` unsubscribes and drops grants still waiting.
 */
export class GateInputs {
  private readonly unsubscribes: (() => void)[] = [];
  private passages: PassageTracker | undefined;
  private unsignedNoticeLogged = false;
  private readonly log: Logger;

  constructor(
    private readonly config: Config,
    private readonly deps: GateInputsDeps,
  ) {
    this.log = deps.logger;
  }

  start(): void {
    const { config, deps } = this;
    const sensors = config.mqtt?.passage ?? [];
    this.passages =
      sensors.length === 0
        ? undefined
        : new PassageTracker(
            {
              gate: config.gate,
              zone: config.policy.zone,
              timeouts: new Map(sensors.map((s) => [s.reader, s.timeout])),
            },
            { ...deps, report: (outcome) => this.report(outcome) },
          );
    const connection = deps.connection;
    if (connection === undefined) return;
    for (const sensor of sensors) {
      const reader = config.readers.find((r) => r.id === sensor.reader);
      if (reader === undefined) {
        this.log.error({ reader: sensor.reader }, "passage sensor names no configured reader; ignored");
        continue;
      }
      this.unsubscribes.push(
        connection.subscribeParsed(sensor.topic, "text", inputPayload, "passage-input", (_t, v) => {
          if (v === sensor.payload) this.passages?.rotated(reader.id, reader.direction);
        }),
      );
    }
    const alarm = config.mqtt?.fireAlarm;
    if (alarm !== undefined) {
      this.unsubscribes.push(
        connection.subscribeParsed(alarm.topic, "text", inputPayload, "fire-alarm", (_t, v) => {
          const { modes } = deps;
          if (v === alarm.active) modes.set("free", "fire-alarm");
          else if (v === alarm.inactive) {
            // Only the alarm's own free passage ends with it; a mode someone set stays.
            const now = modes.current();
            if (now.mode === "free" && now.source === "fire-alarm") modes.set("normal", "fire-alarm");
          }
        }),
      );
    }
  }

  stop(): void {
    for (const u of this.unsubscribes.splice(0)) u();
    this.passages?.stop();
  }

  /** Whether a rotation sensor confirms the passages at this reader (then a grant moves no presence). */
  senses(readerId: string): boolean {
    return this.passages?.senses(readerId) === true;
  }

  /** After a grant was journaled and its relays told to open. */
  granted(outcome: ScanOutcome, reader: ReaderConfig): void {
    const { site, allowlist } = this.deps;
    const entry = outcome.entry;
    if (entry === undefined) return;
    const credential = outcome.credential === null ? undefined : allowlist.get(outcome.credential);
    const verified = !outcome.decision.flags.includes("unverified");
    if (site !== undefined && credential !== undefined && entry.step !== null && verified) {
      const period = credential.scheme === "totp" ? credential.totp.period : credential.ed25519.period;
      site.shareReplay(credential.id, entry.step, replayExpiry(entry.step, period, this.config.token.window));
    }
    if (this.passages?.senses(reader.id) === true) {
      this.passages.granted({
        decisionId: entry.id,
        reader: reader.id,
        direction: reader.direction,
        credential: outcome.credential,
        person: outcome.person,
        at: entry.at,
      });
      return;
    }
    // No sensor: the grant is the passage (as Gate recorded it).
    if (outcome.person !== null && outcome.decision.reason === "ok") {
      site?.sharePassage(outcome.person, this.config.policy.zone, reader.direction, entry.at);
    }
    this.notifyIfAsked(entry.id, outcome.credential, outcome.person, reader.direction, entry.at);
  }

  /**
   * An operator opened the lane of `readerId` by hand (`open`, journaled as `entry`): with a
   * rotation sensor there, the next rotation is that open's passage, not a forced one. The
   * passage names no person and moves no presence: nobody was identified.
   */
  operatorOpened(entry: JournalEntry, readerId: string): void {
    const reader = this.config.readers.find((r) => r.id === readerId);
    if (reader === undefined || this.passages?.senses(reader.id) !== true) return;
    this.passages.granted({
      decisionId: entry.id,
      reader: reader.id,
      direction: reader.direction,
      credential: null,
      person: null,
      at: entry.at,
    });
  }

  private report(outcome: PassageOutcome): void {
    const { events, site } = this.deps;
    const gate = this.config.gate;
    if (outcome.result === "forced_passage") {
      events?.publishEvent({
        type: "alarm",
        at: outcome.at,
        gate,
        reader: outcome.reader,
        direction: outcome.direction,
        result: outcome.result,
      });
      return;
    }
    const { grant } = outcome;
    events?.publishEvent({
      type: "passage",
      at: outcome.at,
      gate,
      reader: grant.reader,
      direction: grant.direction,
      result: outcome.result,
      decisionId: grant.decisionId,
      person: grant.person,
    });
    if (outcome.result !== "passed") return;
    if (grant.person !== null)
      site?.sharePassage(grant.person, this.config.policy.zone, grant.direction, outcome.at);
    this.notifyIfAsked(grant.decisionId, grant.credential, grant.person, grant.direction, outcome.at);
  }

  /**
   * Publishes the guardian notice of a passage (docs/mqtt.md#guardian-notices) when the
   * credential asks for one and names guardians: a signed message of this gate whose body
   * holds all the notifier needs, `id` the grant's journal entry so it is delivered once.
   */
  private notifyIfAsked(
    id: string,
    credentialId: string | null,
    person: string | null,
    direction: "in" | "out",
    at: number,
  ): void {
    const { events, connection, allowlist } = this.deps;
    if (credentialId === null || person === null || events === undefined || connection === undefined) return;
    const credential = allowlist.get(credentialId);
    if (credential?.notifyGuardians !== true || credential.guardians.length === 0) return;
    const name = shownName(credential.displayName);
    const notice: GuardianNotice = {
      id,
      person,
      credential: credentialId,
      gate: this.config.gate,
      direction,
      at,
      ...(name === undefined ? {} : { name }),
      guardians: [...credential.guardians],
    };
    const signed = this.deps.sign(events.topics.notify, notice);
    if (signed === undefined) {
      // Unsigned notices would let any client on the broker send mail in the gate's name.
      if (!this.unsignedNoticeLogged)
        this.log.error(
          { credential: credentialId },
          "guardian notices not sent: this gate has no signing key (passgate keys init)",
        );
      this.unsignedNoticeLogged = true;
      return;
    }
    // A receiver reads no signed message above MAX_MESSAGE_BYTES: a notice that large (ids
    // near their 200-character bound, many guardians) would be dropped by the notifier unseen.
    if (Buffer.byteLength(signed) > MAX_MESSAGE_BYTES) {
      this.log.error(
        { credential: credentialId, guardians: credential.guardians.length },
        "guardian notice not sent: larger than a signed message may be (its ids are too long)",
      );
      return;
    }
    if (!connection.publish(events.topics.notify, signed, { qos: 1 })) {
      this.log.warn({ credential: credentialId }, "guardian notice not sent: broker unreachable");
    }
  }
}
