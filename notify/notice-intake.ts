import type { MqttConnection } from "../daemon/mqtt/mqtt-connection.js";
import { NonceWindow } from "../daemon/trust/nonce-window.js";
import type { Roster } from "../daemon/trust/roster.js";
import type { Clock } from "../platform/clock.js";
import { describeError } from "../platform/log/describe-error.js";
import { LogThrottle } from "../platform/log/log-throttle.js";
import type { Logger } from "../platform/log/logger.js";
import type { DeliveryStore, NewDelivery } from "./delivery-store.js";
import type { ChannelKind, GuardianDirectory } from "./guardian-directory.js";
import type { NoticeBody } from "./notice.js";
import { checkNotice, NOTICE_FRESHNESS_MS, type NoticeRefusal } from "./notice-check.js";
import { cleanName } from "./notice-text.js";

/** Most deliveries waiting at once: a whole school's morning, many times over. */
export const MAX_PENDING = 100_000;

/**
 * Hears the gates' notices on the site's notice topic, checks each (notice-check.ts) and
 * queues one delivery per guardian who consented and channel they have. Every refusal is
 * counted by reason in the database (for `passgate notify status`) and logged at most once
 * per reason every 10 s.
 */
export class NoticeIntake {
  readonly name = "notice-intake";
  // Pairs are kept for the whole bound on both sides of a notice's `at`.
  private readonly nonces = new NonceWindow(2 * NOTICE_FRESHNESS_MS);
  private readonly logs: LogThrottle;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly deps: {
      readonly connection: MqttConnection;
      readonly topic: string;
      /** The gates in force now (a getter: `reload` replaces them). */
      readonly roster: () => Roster;
      /** The guardians in force now (a getter: `reload` replaces them). */
      readonly directory: () => GuardianDirectory;
      /** The channels this service can deliver on (an SMTP server and a webhook secret configured). */
      readonly channels: ReadonlySet<ChannelKind>;
      readonly store: DeliveryStore;
      /** Told when deliveries were queued, so they go out at once. */
      readonly onQueued: () => void;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {
    this.logs = new LogThrottle(() => deps.clock.now());
  }

  async start(): Promise<void> {
    this.unsubscribe = this.deps.connection.subscribe(this.deps.topic, (topic, payload) =>
      this.receive(topic, payload),
    );
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Checks and queues one received payload; public for the tests of the checks' counting. */
  receive(topic: string, payload: Buffer): void {
    const { store, clock, logger } = this.deps;
    try {
      const verdict = checkNotice(topic, payload, {
        roster: this.deps.roster(),
        now: clock.now(),
        nonces: this.nonces,
      });
      if (!verdict.ok) {
        this.refuse(verdict.reason, verdict.signer);
        return;
      }
      // A gate key used to flood the notifier must not fill the disk: past this many
      // deliveries waiting, new notices are refused until the queue drains.
      if (store.pendingCount() >= MAX_PENDING) {
        this.refuse("queue_full", verdict.signer);
        return;
      }
      const deliveries = this.deliveriesOf(verdict.body);
      const added = deliveries.length === 0 ? 0 : store.enqueue(deliveries, clock.now());
      logger.debug({ notice: verdict.body.id, gate: verdict.body.gate, queued: added }, "notice received");
      // Every delivery of it already queued: the notice came again (a repeat from the broker
      // after a restart, a gate that published it twice). Nothing goes out twice.
      if (deliveries.length > 0 && added === 0) this.refuse("duplicate");
      if (added > 0) this.deps.onQueued();
    } catch (err) {
      // The queue could not be written: the broker does not resend an acknowledged message,
      // so this notice is lost; said loudly, once per 10 s.
      if (this.logs.admit("queue_error") !== undefined)
        logger.error({ err: describeError(err) }, "notice not queued: the database cannot be written");
    }
  }

  /** One delivery per (guardian, channel) the notice can go to; the others counted. */
  private deliveriesOf(body: NoticeBody): NewDelivery[] {
    const { channels } = this.deps;
    const directory = this.deps.directory();
    const deliveries: NewDelivery[] = [];
    for (const id of new Set(body.guardians)) {
      const guardian = directory.get(id);
      if (guardian === undefined) {
        this.refuse("unknown_guardian");
        continue;
      }
      if (!guardian.consent) {
        this.refuse("no_consent");
        continue;
      }
      const usable = directory.channels(guardian).filter((c) => channels.has(c));
      if (usable.length === 0) {
        this.refuse("no_channel");
        continue;
      }
      for (const channel of usable)
        deliveries.push({
          noticeId: body.id,
          guardian: id,
          channel,
          person: body.person,
          name: cleanName(body.name),
          gate: body.gate,
          direction: body.direction,
          passedAt: body.at,
        });
    }
    return deliveries;
  }

  private refuse(reason: NoticeRefusal, signer?: string): void {
    const now = this.deps.clock.now();
    this.deps.store.countRefusal(reason, now);
    // Only a gate's id goes into the line: ids anyone can make up are not repeated.
    const member = signer !== undefined && this.deps.roster().get(signer) !== undefined ? signer : undefined;
    const held = this.logs.admit(reason);
    if (held === undefined) return;
    // A repeat is the broker doing its job (QoS 1 delivers at least once): not a warning.
    if (reason === "duplicate") this.deps.logger.debug({ reason, signer: member, held }, "notice repeated");
    else this.deps.logger.warn({ reason, signer: member, held }, "notice refused");
  }
}
