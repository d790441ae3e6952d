import type { Config } from "../../config/schema.js";
import { SiteOutbox } from "../../daemon/site/site-outbox.js";
import { SiteShare } from "../../daemon/site/site-share.js";
import { ZoneHearing } from "../../daemon/site/zone-hearing.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Component } from "../component.js";
import type { ConfigDiff } from "../reload/diff-config.js";
import type { MqttSessionComponent } from "./mqtt-session.js";
import type { StorageComponent } from "./storage.js";
import type { TrustComponent } from "./trust.js";

/**
 * Owns the sharing of accepted tokens and passages with the site's other gates (SiteShare,
 * with `mqtt:` and `mqtt.siteShare`), and with it the worker thread that verifies the
 * records' signatures: what they share goes into the gate's one replay guard and presence
 * store, and the gate's own records wait in its SQLite outbox for the broker. Starts after
 * the MQTT session and before the inputs and the gate, which share through it, and stops
 * after them. A reload that changes the live part of
 * `mqtt:` or the relays starts it anew, with the new `siteShare` setting.
 *
 * With hard or timed anti-passback it also runs the gate's `ZoneHearing` on the share's
 * verifier: this gate says it is alive and, when its anti-passback is fail-closed, keeps
 * track of whether it hears its zone (`hearsZone`, which the gate's decisions ask).
 */
export class SiteShareComponent implements Component {
  readonly name = "site-share";
  private share: SiteShare | undefined;
  private outbox: SiteOutbox | undefined;
  private hearing: ZoneHearing | undefined;

  constructor(
    private config: Config,
    private readonly deps: {
      readonly storage: StorageComponent;
      readonly trust: TrustComponent;
      readonly session: MqttSessionComponent;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {}

  /** The running share, from `start()` on; undefined when sharing is off. */
  get site(): SiteShare | undefined {
    return this.share;
  }

  /**
   * Whether this gate hears its anti-passback zone now (daemon/site/zone-hearing.ts): false
   * while stopped or without site share, true when the zone is not fail-closed (not asked).
   */
  hearsZone(): boolean {
    if (this.config.policy.antiPassback.partition !== "closed") return true;
    return this.hearing?.hears() ?? false;
  }

  /**
   * Records this gate keeps for the site, per kind: those the broker has not taken yet and
   * those kept for catch-up answers until they expire. Undefined without site share.
   */
  siteRecords(): Readonly<Record<string, number>> | undefined {
    return this.share === undefined ? undefined : this.outbox?.size();
  }

  /** `hearsZone()` where the zone is fail-closed and shared; undefined where nothing asks it. */
  zoneHeard(): boolean | undefined {
    if (this.config.policy.antiPassback.partition !== "closed" || this.share === undefined) return undefined;
    return this.hearsZone();
  }

  async start(): Promise<void> {
    const mqtt = this.deps.session.parts;
    if (mqtt === undefined || this.config.mqtt?.siteShare !== true) return;
    const { db, replay, presence, allowlist } = this.deps.storage.stores;
    const { token, trust, policy } = this.config;
    // Its table is created with the others' when the gate database opens (gate-database.ts).
    this.outbox = new SiteOutbox(db);
    this.share = new SiteShare(mqtt.connection, mqtt.topics, {
      gate: this.config.gate,
      outbox: this.outbox,
      replay,
      presence,
      allowlist,
      trust: this.deps.trust.site,
      window: token.window,
      clockToleranceMs: trust.clockTolerance,
      passageHorizonMs: policy.antiPassback.mode === "timed" ? policy.antiPassback.window : undefined,
      clock: this.deps.clock,
      logger: this.deps.logger.child({ component: "site" }),
    });
    this.share.start();
    this.startHearing();
  }

  async stop(): Promise<void> {
    await this.stopHearing();
    const share = this.share;
    this.share = undefined;
    // Ends the thread that verifies records' signatures; records still in it are not applied.
    await share?.stop();
  }

  async reload(diff: ConfigDiff): Promise<void> {
    const before = this.config.policy;
    const after = diff.effective.policy;
    if (diff.actuation) {
      await this.stop();
      this.config = diff.effective;
      await this.start();
    } else if (
      before.zone !== after.zone ||
      JSON.stringify(before.antiPassback) !== JSON.stringify(after.antiPassback)
    ) {
      // Only the zone's hearing: the share and what waits in its outbox stay as they are.
      await this.stopHearing();
      this.config = diff.effective;
      this.startHearing();
    } else this.config = diff.effective;
  }

  /** With hard or timed anti-passback, on the share's verifier (none without a share). */
  private startHearing(): void {
    const mqtt = this.deps.session.parts;
    const verifier = this.share?.signatureVerifier;
    const { policy, trust, gate } = this.config;
    const { mode, partition, partitionAfter } = policy.antiPassback;
    if (mqtt === undefined || verifier === undefined || (mode !== "hard" && mode !== "timed")) return;
    this.hearing = new ZoneHearing(mqtt.connection, mqtt.topics, {
      gate,
      zone: policy.zone,
      speak: true,
      listen: partition === "closed",
      partitionAfterMs: partitionAfter,
      clockToleranceMs: trust.clockTolerance,
      trust: this.deps.trust.site,
      verifier,
      clock: this.deps.clock,
      logger: this.deps.logger.child({ component: "zone" }),
    });
    this.hearing.start();
  }

  private async stopHearing(): Promise<void> {
    const hearing = this.hearing;
    this.hearing = undefined;
    await hearing?.stop();
  }
}
