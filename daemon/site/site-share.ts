import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import type { MqttConnection } from "../mqtt/mqtt-connection.js";
import {
  type GateTopics,
  type SharedPassage,
  type SharedReplay,
  sharedPassageSchema,
  sharedReplaySchema,
} from "../mqtt/topics.js";
import type { PresenceStore } from "../state/presence-store.js";
import type { ReplayGuard } from "../state/replay-guard.js";

/** Items kept for a broker outage, per kind; the oldest go first beyond this. */
const OUTBOX_LIMIT = 10_000;
/**
 * After a reconnect, what was caught up goes out again this long after it (ms). The other
 * gates reconnect on their own backoff: a gate back before them would send into a site
 * where nobody listens yet. Receivers take a record twice without harm (a pair is a set
 * member, a passage moves the state only when newer).
 */
const CATCH_UP_REPEATS_MS = [2_000, 10_000, 30_000];

/**
 * Shares what a gate learns with the other gates of its site over MQTT: accepted
 * (credential, step) pairs, so a screenshot used at gate A is refused at gate B, and
 * passages, so anti-passback holds across gates. Each gate decides on its own SQLite
 * state; this only adds to it. While the broker is away, what this gate learns waits in
 * an outbox (pairs until they expire) and goes out on reconnect: unlike an open command,
 * state is still true later.
 *
 * Anyone who may publish on the site's shared topics can add pairs (deny a person for
 * one time step) or passages: restrict them to the gates with broker ACLs (docs/mqtt.md).
 */
export class SiteShare {
  private readonly replayOutbox: SharedReplay[] = [];
  private readonly passageOutbox: SharedPassage[] = [];
  private readonly unsubscribes: (() => void)[] = [];
  private readonly repeats = new Set<NodeJS.Timeout>();
  private received = { replay: 0, passage: 0 };

  constructor(
    private readonly connection: MqttConnection,
    private readonly topics: GateTopics,
    private readonly deps: {
      readonly gate: string;
      readonly replay: ReplayGuard;
      readonly presence: PresenceStore;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {}

  start(): void {
    const c = this.connection;
    this.unsubscribes.push(
      c.subscribeParsed(this.topics.sharedReplay, "json", sharedReplaySchema, "shared-replay", (_t, pair) =>
        this.onReplay(pair),
      ),
      c.subscribeParsed(
        this.topics.sharedPassage,
        "json",
        sharedPassageSchema,
        "shared-passage",
        (_t, passage) => this.onPassage(passage),
      ),
      c.onConnection((up) => {
        if (up) this.flush();
      }),
    );
  }

  stop(): void {
    for (const u of this.unsubscribes.splice(0)) u();
    for (const t of this.repeats) clearTimeout(t);
    this.repeats.clear();
  }

  /** Pairs and passages taken from other gates since start. */
  receivedCounts(): { replay: number; passage: number } {
    return { ...this.received };
  }

  shareReplay(credential: string, step: number, expiresAt: number): void {
    this.send(
      this.topics.sharedReplay,
      { gate: this.deps.gate, credential, step, expiresAt },
      this.replayOutbox,
    );
  }

  sharePassage(person: string, zone: string, direction: "in" | "out", at: number): void {
    this.send(
      this.topics.sharedPassage,
      { gate: this.deps.gate, person, zone, direction, at },
      this.passageOutbox,
    );
  }

  private send<T>(topic: string, item: T, outbox: T[]): void {
    if (this.connection.publish(topic, JSON.stringify(item), { qos: 1 })) return;
    outbox.push(item);
    if (outbox.length > OUTBOX_LIMIT) outbox.shift();
  }

  private flush(): void {
    const now = this.deps.clock.now();
    const pairs = this.replayOutbox.splice(0).filter((p) => p.expiresAt > now);
    const passages = this.passageOutbox.splice(0);
    if (pairs.length + passages.length === 0) return;
    this.deps.logger.info({ pairs: pairs.length, passages: passages.length }, "site state caught up");
    this.resend(pairs, passages);
    for (const after of CATCH_UP_REPEATS_MS) {
      const timer = setTimeout(() => {
        this.repeats.delete(timer);
        if (!this.connection.connected) return;
        const live = this.deps.clock.now();
        this.resend(
          pairs.filter((p) => p.expiresAt > live),
          passages,
        );
      }, after);
      timer.unref();
      this.repeats.add(timer);
    }
  }

  private resend(pairs: readonly SharedReplay[], passages: readonly SharedPassage[]): void {
    for (const p of pairs) this.send(this.topics.sharedReplay, p, this.replayOutbox);
    for (const p of passages) this.send(this.topics.sharedPassage, p, this.passageOutbox);
  }

  private onReplay(pair: SharedReplay): void {
    // Kept even when it looks expired by this gate's clock: a clock running ahead would
    // otherwise drop a pair that is still live, and once corrected accept the screenshot.
    // The prune removes pairs that are really old.
    if (pair.gate === this.deps.gate) return;
    this.deps.replay.accept(pair.credential, pair.step, pair.expiresAt);
    this.received.replay++;
  }

  private onPassage(passage: SharedPassage): void {
    if (passage.gate === this.deps.gate) return;
    // Only a newer passage moves the state: a late catch-up must not undo a later one.
    const last = this.deps.presence.last(passage.person, passage.zone);
    if (last !== undefined && last.at >= passage.at) return;
    this.deps.presence.record(passage.person, passage.zone, passage.direction, passage.at);
    this.received.passage++;
  }
}
