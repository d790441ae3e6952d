import type { Clock } from "../../platform/clock.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { MqttConnection } from "../mqtt/mqtt-connection.js";
import type { GateTopics } from "../mqtt/topics.js";
import type { SiteTrust } from "../trust/site-trust.js";
import type { KeptRecord, SiteOutbox, SiteRecord } from "./site-outbox.js";

/**
 * After a reconnect, what was caught up goes out again this long after it (ms). The other
 * gates reconnect on their own backoff: a gate back before them would send into a site
 * where nobody listens yet. Receivers take a record twice without harm (a pair is a set
 * member, a passage moves the state only when newer).
 */
const CATCH_UP_REPEATS_MS = [2_000, 10_000, 30_000];
/** How often expired records are pruned (ms). */
const PRUNE_EVERY_MS = 60_000;
/**
 * A catch-up answer waits this long (ms) so that the requests of a site reconnecting at once
 * (a broker back) are answered once, and comes at most once per `ANSWER_MIN_INTERVAL_MS`.
 */
const ANSWER_DELAY_MS = 500;
const ANSWER_MIN_INTERVAL_MS = 5_000;
/**
 * An answer goes out in batches of this many records every `ANSWER_BATCH_EVERY_MS`: about
 * 1,000 a second, so neither this gate's scans wait behind the signing nor the asking gate's
 * verifier (1,000 records waiting at most) refuses them as overloaded.
 */
const ANSWER_BATCH = 50;
const ANSWER_BATCH_EVERY_MS = 50;

type Sendable = Pick<KeptRecord, "kind" | "item" | "id">;

/**
 * The sending half of site sharing: each record this gate shares is kept in its SQLite
 * outbox (`SiteOutbox`) before it is published, at QoS 1, and leaves the outbox when the
 * broker acknowledges it. So a record learned while the broker is away, or published as it
 * went away, goes out when it is back, even if the gate was killed and restarted meanwhile.
 *
 * On every connect (and at start when already connected) it sends the outbox again, 2, 10
 * and 30 s later too, and asks the site's other gates, with a message signed by this gate,
 * to send what they keep (`requestCatchUp`): a gate that was down missed what they shared
 * meanwhile. Each gate answers (`answerCatchUp`) by sending its own live records again,
 * signed by itself now, on its own topics: a receiver checks them as any other record.
 */
export class SiteSender {
  private readonly timers = new Set<NodeJS.Timeout>();
  private pruneTimer: NodeJS.Timeout | undefined;
  private answerTimer: NodeJS.Timeout | undefined;
  private lastAnswerAt = Number.NEGATIVE_INFINITY;
  /** The oldest `since` of the requests the pending answer answers; undefined: everything. */
  private answerSince: number | undefined;
  /** When the broker link went down (epoch ms), until it is back; undefined after a start. */
  private downSince: number | undefined;
  private warnedNoKey = false;
  private running = false;

  constructor(
    private readonly connection: MqttConnection,
    private readonly topics: GateTopics,
    private readonly deps: {
      readonly gate: string;
      readonly outbox: SiteOutbox;
      readonly trust: SiteTrust;
      /** How long a passage is kept (ms): the anti-passback window when timed. */
      readonly passageKeepMs: number;
      /**
       * How far another gate's clock may be off (ms): an answer reaches that much further
       * back than the asking gate's `since`, whose clock it is.
       */
      readonly clockToleranceMs: number;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {}

  start(): void {
    this.running = true;
    this.prune();
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
    if (this.connection.connected) this.connected();
  }

  stop(): void {
    this.running = false;
    clearInterval(this.pruneTimer);
    clearTimeout(this.answerTimer);
    this.answerTimer = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  shareReplay(credential: string, step: number, expiresAt: number): void {
    this.share({ kind: "replay", item: { gate: this.deps.gate, credential, step, expiresAt } }, expiresAt);
  }

  sharePassage(person: string, zone: string, direction: "in" | "out", at: number): void {
    this.share(
      { kind: "passage", item: { gate: this.deps.gate, person, zone, direction, at } },
      at + this.deps.passageKeepMs,
    );
  }

  /**
   * The broker link is up (again): the outbox goes out, and the site is asked to catch this
   * gate up on what was shared since the link went down (after a start: on everything live).
   */
  connected(): void {
    if (!this.running) return;
    const since = this.downSince;
    this.downSince = undefined;
    this.flush();
    this.requestCatchUp(since);
  }

  /** The broker link went down: from now on this gate misses what the others share. */
  disconnected(): void {
    this.downSince ??= this.deps.clock.now();
  }

  /**
   * Another gate asked to be caught up on what was shared since `since` (its clock; all
   * live records when undefined): this gate's own go out again, once for every request of
   * the next `ANSWER_DELAY_MS` and at most once per `ANSWER_MIN_INTERVAL_MS`.
   */
  answerCatchUp(since: number | undefined): void {
    if (!this.running) return;
    const first = this.answerTimer === undefined;
    if (first || since === undefined || this.answerSince === undefined)
      this.answerSince = first ? since : undefined;
    else this.answerSince = Math.min(this.answerSince, since);
    if (!first) return;
    const now = this.deps.clock.now();
    const wait = Math.max(ANSWER_DELAY_MS, this.lastAnswerAt + ANSWER_MIN_INTERVAL_MS - now);
    this.answerTimer = setTimeout(() => {
      this.answerTimer = undefined;
      if (!this.running || !this.connection.connected) return;
      this.lastAnswerAt = this.deps.clock.now();
      const since = this.answerSince;
      const records = this.kept({
        since: since === undefined ? undefined : since - this.deps.clockToleranceMs,
      });
      if (records.length === 0) return;
      this.deps.logger.info({ records: records.length }, "answering a catch-up request");
      this.sendPaced(records);
    }, wait);
    this.answerTimer.unref();
  }

  private share(record: SiteRecord, expiresAt: number): void {
    if (!this.canSend()) return;
    let id: number | undefined;
    try {
      id = this.deps.outbox.add(record, this.deps.clock.now(), expiresAt);
    } catch (err) {
      // Sent all the same: only a broker outage after this would lose it.
      this.deps.logger.error(
        { err: describeError(err), kind: record.kind },
        "a site record could not be kept",
      );
    }
    this.send({ ...record, id: id ?? -1 } as Sendable);
  }

  private canSend(): boolean {
    if (this.deps.trust.canSign || this.deps.trust.acceptsUnsigned) return true;
    if (!this.warnedNoKey) {
      this.warnedNoKey = true;
      this.deps.logger.warn(
        "this gate has no key (trust.keyFile): it shares no site records; make one with passgate keys init",
      );
    }
    return false;
  }

  /** Publishes `record` now if connected; it stays in the outbox until the broker acknowledges it. */
  private send(record: Sendable): void {
    const topic = record.kind === "replay" ? this.topics.sharedReplay : this.topics.sharedPassage;
    // Signed when sent, not when learned: a record caught up after an outage is fresh again.
    const item: Record<string, unknown> = { ...record.item };
    const payload =
      this.deps.trust.sign(topic, item) ??
      (this.deps.trust.acceptsUnsigned ? JSON.stringify(item) : undefined);
    if (payload === undefined) return;
    this.connection.publish(topic, payload, { qos: 1 }, () => {
      if (record.id < 0) return;
      try {
        this.deps.outbox.acked(record.id);
      } catch (err) {
        // It stays in the outbox and goes out once more after the next reconnect: harmless.
        this.deps.logger.warn(
          { err: describeError(err) },
          "a site record's acknowledgement could not be kept",
        );
      }
    });
  }

  /** The outbox, sent now and again for the gates that come back later. */
  private flush(): void {
    const records = this.kept({ unacked: true });
    if (records.length === 0) return;
    const pairs = records.filter((r) => r.kind === "replay").length;
    this.deps.logger.info({ pairs, passages: records.length - pairs }, "site state caught up");
    for (const r of records) this.send(r);
    for (const after of CATCH_UP_REPEATS_MS) {
      this.later(after, () => {
        if (!this.connection.connected) return;
        const now = this.deps.clock.now();
        for (const r of records) if (r.expiresAt > now) this.send(r);
      });
    }
  }

  private requestCatchUp(since: number | undefined): void {
    const topic = this.topics.sharedCatchUp;
    const body = { gate: this.deps.gate, ...(since === undefined ? {} : { since }) };
    const payload =
      this.deps.trust.sign(topic, body) ??
      (this.deps.trust.acceptsUnsigned ? JSON.stringify(body) : undefined);
    if (payload !== undefined) this.connection.publish(topic, payload, { qos: 1 });
  }

  /** Sends `records` in batches, as long as the link stays up and the sender runs. */
  private sendPaced(records: readonly KeptRecord[], from = 0): void {
    if (!this.running || !this.connection.connected) return;
    const now = this.deps.clock.now();
    const end = Math.min(records.length, from + ANSWER_BATCH);
    for (let i = from; i < end; i++) {
      const r = records[i] as KeptRecord;
      if (r.expiresAt > now) this.send(r);
    }
    if (end < records.length) this.later(ANSWER_BATCH_EVERY_MS, () => this.sendPaced(records, end));
  }

  private kept(options: { readonly unacked?: boolean; readonly since?: number | undefined }): KeptRecord[] {
    try {
      const unreadable = this.deps.outbox.unreadable;
      const records = this.deps.outbox.live(this.deps.clock.now(), {
        unacked: options.unacked,
        ...(options.since === undefined ? {} : { since: options.since }),
      });
      if (this.deps.outbox.unreadable > unreadable)
        this.deps.logger.warn(
          { rows: this.deps.outbox.unreadable - unreadable },
          "site outbox rows that are no valid record were not sent; they leave when they expire",
        );
      return records;
    } catch (err) {
      this.deps.logger.error({ err: describeError(err) }, "the site outbox could not be read");
      return [];
    }
  }

  private prune(): void {
    try {
      this.deps.outbox.prune(this.deps.clock.now());
    } catch (err) {
      this.deps.logger.warn({ err: describeError(err) }, "expired site records could not be pruned");
    }
  }

  private later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.running) run();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
