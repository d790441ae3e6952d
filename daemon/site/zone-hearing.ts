import { z } from "zod";
import type { Clock } from "../../platform/clock.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { MqttConnection } from "../mqtt/mqtt-connection.js";
import {
  type GateTopics,
  STATUS_PAYLOADS,
  sharedTopicGate,
  statusTopicGate,
  zoneAliveSchema,
} from "../mqtt/topics.js";
import type { SignatureVerifier } from "../trust/off-thread-verifier.js";
import type { SiteTrust } from "../trust/site-trust.js";

const jsonObject = z.record(z.string(), z.unknown());

/** How often whether the zone is heard is looked at for the log (ms): a change is told within it. */
const LOOK_EVERY_MS = 1_000;

/**
 * Whether this gate hears the other gates of its anti-passback zone, the fact fail-closed
 * anti-passback (`policy.antiPassback.partition: closed`, docs/scale.md) decides on.
 *
 * Each gate whose anti-passback can deny (hard or timed) says it is alive every third of
 * `partitionAfter`: a message signed by its key on its own shared topic, naming its zone.
 * A gate that listens keeps, per gate of its zone, when it last heard it. It hears its zone
 * while its broker is connected, it heard at least one gate of the zone, and every gate of
 * the zone it heard since it started was heard within `partitionAfter`. A gate that went
 * `offline` (its retained status: its clean stop or the broker's will) is no longer waited
 * for: it admits nobody meanwhile. Across a partition nothing arrives, the `offline` included,
 * so the gates on the far side fall silent: that is the partition.
 *
 * The heard-from times live in memory: a gate started during a partition has heard nobody
 * and counts as cut off until the first gate of its zone is heard.
 */
export class ZoneHearing {
  private readonly lastHeard = new Map<string, number>();
  private readonly unsubscribes: (() => void)[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  /** What the log last said: undefined before the first look. */
  private told: boolean | undefined;

  constructor(
    private readonly connection: MqttConnection,
    private readonly topics: GateTopics,
    private readonly deps: {
      readonly gate: string;
      /** `policy.zone`. */
      readonly zone: string;
      /** Say this gate is alive (its anti-passback can deny: others' answers depend on it). */
      readonly speak: boolean;
      /** Keep track of the zone (this gate's anti-passback is fail-closed). */
      readonly listen: boolean;
      /** `policy.antiPassback.partitionAfter`, ms. */
      readonly partitionAfterMs: number;
      /** How far another gate's clock may be off, ms (`trust.clockTolerance`). */
      readonly clockToleranceMs: number;
      readonly trust: SiteTrust;
      /** Verifies signatures off the scan thread: the site share's. */
      readonly verifier: SignatureVerifier;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {}

  start(): void {
    const { deps, connection: c, topics } = this;
    this.running = true;
    if (deps.speak) {
      this.unsubscribes.push(
        c.onConnection((up) => {
          if (up) this.sayAlive();
        }),
      );
      this.every(Math.max(1_000, Math.floor(deps.partitionAfterMs / 3)), () => this.sayAlive());
      this.sayAlive();
    }
    if (deps.listen) {
      this.unsubscribes.push(
        c.subscribeParsed(topics.sharedAliveFilter, "json", jsonObject, "zone-alive", (topic, value) =>
          this.receive(topic, value),
        ),
        c.subscribe(topics.siteStatusFilter, (topic, payload) => this.onStatus(topic, payload.toString())),
      );
      this.every(LOOK_EVERY_MS, () => this.tell());
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const u of this.unsubscribes.splice(0)) u();
    for (const t of this.timers.splice(0)) clearInterval(t);
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Whether this gate hears its zone now (see the class); a gate that does not listen says true. */
  hears(): boolean {
    if (!this.deps.listen) return true;
    if (!this.connection.connected || this.lastHeard.size === 0) return false;
    const now = this.deps.clock.now();
    for (const at of this.lastHeard.values()) if (now - at > this.deps.partitionAfterMs) return false;
    return true;
  }

  /** The gates of the zone heard since start, with ms since each was last heard. */
  heard(): { gate: string; silentMs: number }[] {
    const now = this.deps.clock.now();
    return [...this.lastHeard].map(([gate, at]) => ({ gate, silentMs: now - at }));
  }

  private every(ms: number, run: () => void): void {
    const timer = setInterval(run, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private sayAlive(): void {
    const topic = this.topics.sharedAlive;
    const body = { gate: this.deps.gate, zone: this.deps.zone };
    // As the site share's records: unsigned only while the site migrates (`trust.acceptUnsigned`);
    // without a key and without it the share already said once why nothing is shared.
    const payload =
      this.deps.trust.sign(topic, body) ??
      (this.deps.trust.acceptsUnsigned ? JSON.stringify(body) : undefined);
    // QoS 1: a broker whose ACLs predate this topic answers "not authorized", which the
    // session reports (MqttConnection.refusedPublishes); at QoS 0 the refusal is silent.
    if (payload !== undefined) this.connection.publish(topic, payload, { qos: 1 });
  }

  private receive(topic: string, value: Record<string, unknown>): void {
    const gate = sharedTopicGate(topic);
    if (!this.running || gate === undefined || gate === this.deps.gate) return;
    // Another zone's gate that this one never counted cannot change anything: not verified.
    // (A signed message carries its body under `body`; an unsigned one, while the site migrates, is the body.)
    const body = ("sig" in value ? value.body : value) as { zone?: unknown } | undefined;
    if (body?.zone !== this.deps.zone && !this.lastHeard.has(gate)) return;
    const done = this.deps.trust
      .checkOffThread(
        topic,
        value,
        ["gate"],
        "zone-alive",
        Math.max(this.deps.clockToleranceMs, 30_000),
        this.deps.verifier,
      )
      .then((verdict) => {
        if (!this.running || !verdict.ok) return;
        const alive = zoneAliveSchema.safeParse(verdict.body);
        if (!alive.success) {
          this.deps.trust.refuse("zone-alive", "invalid_body", verdict.signer?.id);
          return;
        }
        // A gate speaks for itself, on its own topic (the signature binds the topic).
        if (alive.data.gate !== gate || (verdict.signer !== undefined && verdict.signer.gate !== gate)) {
          this.deps.trust.refuse("zone-alive", "not_authorized", verdict.signer?.id);
          return;
        }
        if (alive.data.zone === this.deps.zone) this.lastHeard.set(gate, this.deps.clock.now());
        else this.lastHeard.delete(gate);
      })
      .catch((err: unknown) => {
        this.deps.logger.error({ err: describeError(err) }, "a zone gate's alive message could not be taken");
      })
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  /**
   * A gate's retained status. Unsigned (the broker's will cannot be signed): the broker's ACL
   * keeps it the gate's own. At worst a forged `offline` makes this gate stop waiting for
   * one gate, as fail-open would; it can never deny anyone.
   */
  private onStatus(topic: string, text: string): void {
    const gate = statusTopicGate(topic);
    if (gate === undefined || text !== STATUS_PAYLOADS.offline || !this.lastHeard.has(gate)) return;
    this.lastHeard.delete(gate);
    this.deps.logger.info(
      { gate, zone: this.deps.zone },
      "a gate of this zone went offline: no longer waited for",
    );
  }

  /** Logs each change: the guard's log says why entries are denied, and since when. */
  private tell(): void {
    const hears = this.hears();
    if (hears === this.told) return;
    const first = this.told === undefined;
    this.told = hears;
    const facts = { zone: this.deps.zone, connected: this.connection.connected, gates: this.heard() };
    if (hears) this.deps.logger.info(facts, "this gate hears its zone: anti-passback decides as usual");
    // A gate just started hears nobody for a moment: said at info, a cut later at warn.
    else
      this.deps.logger[first ? "info" : "warn"](
        facts,
        "this gate cannot hear its zone: fail-closed anti-passback denies entries and exits (anti_passback_partition)",
      );
  }
}
