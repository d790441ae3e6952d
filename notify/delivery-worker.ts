import type { Clock } from "../platform/clock.js";
import { describeError } from "../platform/log/describe-error.js";
import type { Logger } from "../platform/log/logger.js";
import { type DeliveryChannel, DeliveryError } from "./delivery-channel.js";
import type { Delivery, DeliveryStore } from "./delivery-store.js";
import type { GuardianDirectory } from "./guardian-directory.js";
import { nextAttemptAt, type RetrySettings } from "./retry-schedule.js";

/** Deliveries attempted side by side: a slow webhook does not hold up every mail. */
const BATCH = 8;
/** The worker looks at the queue at least this often, ms, whatever it expects. */
const IDLE_LOOK_MS = 60_000;
/** After the queue could not be read or written, the worker waits this long, ms, before looking again. */
const AFTER_ERROR_MS = 5_000;
/** Sent and failed deliveries past `keepMs` are pruned this often, ms. */
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Takes due deliveries from the queue and hands them to their channel: sent, tried again
 * later (exponential backoff with jitter) or given up as `failed` after `giveUpAfterMs` or
 * on a permanent refusal. Consent is checked again at each attempt: a guardian who
 * withdrew it since the notice was queued gets nothing more.
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private again = false;
  private failing = false;
  private lastPrune = 0;

  constructor(
    private readonly deps: {
      readonly store: DeliveryStore;
      /** The guardians in force now (a getter: a reload replaces them). */
      readonly directory: () => GuardianDirectory;
      readonly channels: ReadonlyMap<string, DeliveryChannel>;
      readonly retry: RetrySettings;
      /** Sent and failed deliveries are forgotten this long after they were done, ms. */
      readonly keepMs: number;
      readonly clock: Clock;
      readonly logger: Logger;
      readonly random?: () => number;
    },
  ) {}

  readonly name = "delivery-worker";

  async start(): Promise<void> {
    this.stopped = false;
    this.wake();
  }

  /** Looks at the queue now (a notice was just queued). */
  wake(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      } else this.schedule();
    });
  }

  /** Stops taking deliveries; those under way finish (each within the channel's timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    let wait = AFTER_ERROR_MS;
    if (!this.failing) {
      const next = this.deps.store.nextDue();
      wait =
        next === undefined ? IDLE_LOOK_MS : Math.min(IDLE_LOOK_MS, Math.max(0, next - this.deps.clock.now()));
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wake();
    }, wait);
  }

  private async run(): Promise<void> {
    try {
      this.prune();
      for (;;) {
        if (this.stopped) break;
        const due = this.deps.store.due(this.deps.clock.now(), BATCH);
        if (due.length === 0) break;
        await Promise.all(due.map((d) => this.attempt(d)));
      }
      this.failing = false;
    } catch (err) {
      // The queue could not be read or written (a full disk): looked at again after a pause,
      // not at once, which would spin on the error; said once until it works again.
      if (!this.failing) this.deps.logger.error({ err: describeError(err) }, "delivery queue unavailable");
      this.failing = true;
    }
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const { store, channels, clock, logger } = this.deps;
    const directory = this.deps.directory();
    const about = { notice: delivery.noticeId, guardian: delivery.guardian, channel: delivery.channel };
    const guardian = directory.get(delivery.guardian);
    const channel = channels.get(delivery.channel);
    let refusal: string | undefined;
    if (guardian === undefined) refusal = "the guardian is no longer listed";
    else if (!guardian.consent) refusal = "the guardian withdrew consent";
    else if (channel === undefined || !directory.channels(guardian).includes(delivery.channel))
      refusal = `no ${delivery.channel} channel for the guardian any more`;
    if (refusal !== undefined || guardian === undefined || channel === undefined) {
      store.markAttemptFailed(delivery.id, clock.now(), refusal ?? "not deliverable", undefined);
      logger.info({ ...about, reason: refusal }, "notice not delivered");
      return;
    }
    try {
      await channel.send(
        {
          noticeId: delivery.noticeId,
          person: delivery.person,
          name: delivery.name,
          gate: delivery.gate,
          direction: delivery.direction,
          at: delivery.passedAt,
        },
        guardian,
      );
      store.markSent(delivery.id, clock.now());
      logger.info({ ...about, attempts: delivery.attempts + 1 }, "notice delivered");
    } catch (err) {
      const reason = err instanceof DeliveryError ? err.message : "unexpected error";
      const now = clock.now();
      const next =
        err instanceof DeliveryError && err.permanent
          ? undefined
          : nextAttemptAt(this.deps.retry, delivery.attempts + 1, delivery.createdAt, now, this.deps.random);
      store.markAttemptFailed(delivery.id, now, reason, next);
      logger.warn(
        {
          ...about,
          reason,
          attempts: delivery.attempts + 1,
          ...(next === undefined ? { gaveUp: true } : { retryInMs: next - now }),
          ...(err instanceof DeliveryError ? {} : { err: describeError(err) }),
        },
        next === undefined ? "notice delivery given up" : "notice delivery failed; will retry",
      );
    }
  }

  private prune(): void {
    const now = this.deps.clock.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    const pruned = this.deps.store.prune(now - this.deps.keepMs);
    if (pruned > 0) this.deps.logger.info({ pruned }, "old deliveries forgotten");
  }
}
