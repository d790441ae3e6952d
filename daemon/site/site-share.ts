import { z } from "zod";
import type { Clock } from "../../platform/clock.js";
import { isPlainObject } from "../../platform/json/plain-object.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { AllowlistStore } from "../allowlist/allowlist-store.js";
import { periodOf } from "../allowlist/credential.js";
import type { MqttConnection } from "../mqtt/mqtt-connection.js";
import {
  type GateTopics,
  type SharedPassage,
  type SharedReplay,
  sharedCatchUpSchema,
  sharedPassageSchema,
  sharedReplaySchema,
  sharedTopicGate,
} from "../mqtt/topics.js";
import type { PresenceStore } from "../state/presence-store.js";
import { type ReplayGuard, replayExpiry } from "../state/replay-guard.js";
import { OffThreadVerifier, type SignatureVerifier } from "../trust/off-thread-verifier.js";
import type { SiteTrust, TrustVerdict } from "../trust/site-trust.js";
import type { SiteOutbox } from "./site-outbox.js";
import { SiteSender } from "./site-sender.js";

/** The bodies a gate takes from the site's other gates. */
type SiteSchema = typeof sharedReplaySchema | typeof sharedPassageSchema | typeof sharedCatchUpSchema;

/** Any JSON object: what a signed or an unsigned record is before the trust checks. */
const jsonObject = z.record(z.string(), z.unknown());

/**
 * How long a passage is kept for the site without timed anti-passback (ms): hard and soft
 * anti-passback look at a person's last passage however old, so a day of them is kept (a
 * gate down longer than that is set right by the person's next passage), within the cap.
 */
const UNTIMED_PASSAGE_KEEP_MS = 24 * 3600_000;

/**
 * Shares what a gate learns with the other gates of its site over MQTT: accepted
 * (credential, step) pairs, so a screenshot used at gate A is refused at gate B, and
 * passages, so anti-passback holds across gates. Each gate decides on its own SQLite
 * state; this only adds to it. What this gate learns waits in its SQLite outbox until the
 * broker took it, and goes out on reconnect, after a restart too: unlike an open command,
 * state is still true later. A gate that (re)connects asks the others to send their live
 * records again (`SiteSender`), so one that was down catches up on what it missed.
 *
 * Every record is signed by the gate that sends it (site-roster.md) and acted on only when
 * its signer is an active gate of the roster speaking for itself, and when it is within
 * bounds whoever signed it: a pair only for a time step that verifies within the clock
 * tolerance of now, its expiry no later than that step's own; a passage no later than now
 * plus the tolerance (and, with timed anti-passback, not older than its window). So a
 * stolen gate key can deny a person for minutes at most, never for a day. Without a key
 * this gate shares nothing; unsigned records are taken only with `trust.acceptUnsigned`.
 *
 * A record's signature is verified on a worker thread (an `OffThreadVerifier` the share
 * starts and stops, unless one is given), so scans do not wait behind it: the cheap checks
 * are made as the record arrives, the nonce, body and bounds once the thread answered, and
 * the record is applied then, a few milliseconds later. At most `maxInFlight` records wait
 * for their signature; beyond that they are refused as `overloaded`.
 */
export class SiteShare {
  private readonly unsubscribes: (() => void)[] = [];
  private received = { replay: 0, passage: 0 };
  private known = 0;
  private sender: SiteSender | undefined;
  /** Records whose signature is being verified, until they are applied or refused. */
  private readonly inFlight = new Set<Promise<void>>();
  private verifier: SignatureVerifier | undefined;
  /** The verifier this share started (and stops), when none was given. */
  private ownVerifier: OffThreadVerifier | undefined;
  private running = false;

  constructor(
    private readonly connection: MqttConnection,
    private readonly topics: GateTopics,
    private readonly deps: {
      readonly gate: string;
      readonly replay: ReplayGuard;
      readonly presence: PresenceStore;
      /** To bound a pair by its credential's period. */
      readonly allowlist: Pick<AllowlistStore, "get">;
      readonly trust: SiteTrust;
      /** Where this gate's own records wait for the broker, and stay for catch-up answers. */
      readonly outbox: SiteOutbox;
      /** Time steps accepted either side of now (`token.window`). */
      readonly window: number;
      /** How far another gate's clock may be off, ms (`trust.clockTolerance`). */
      readonly clockToleranceMs: number;
      /** With timed anti-passback, its window in ms: an older passage no longer matters. */
      readonly passageHorizonMs?: number | undefined;
      readonly clock: Clock;
      readonly logger: Logger;
      /**
       * Verifies records' signatures off the scan thread; by default an `OffThreadVerifier`
       * of the share's own (`maxInFlight` records waiting at most).
       */
      readonly verifier?: SignatureVerifier;
      readonly maxInFlight?: number;
    },
  ) {}

  start(): void {
    const c = this.connection;
    this.running = true;
    if (this.deps.verifier !== undefined) this.verifier = this.deps.verifier;
    else {
      const logger = this.deps.logger;
      this.ownVerifier = new OffThreadVerifier({
        maxInFlight: this.deps.maxInFlight,
        onFailure: ({ error, lost }) =>
          logger.error(
            { error, lost },
            "the record verifier thread died; its records were refused, it restarts",
          ),
      });
      this.ownVerifier.start();
      this.verifier = this.ownVerifier;
    }
    // Every shared topic is read the same way: a JSON object, checked and applied by `receive`.
    const shared = <S extends SiteSchema>(
      filter: string,
      kind: string,
      schema: S,
      apply: (record: z.infer<S>) => void,
      knownAlready?: (body: Record<string, unknown>) => boolean,
    ) =>
      c.subscribeParsed(filter, "json", jsonObject, kind, (topic, value) =>
        this.receive(topic, value, schema, kind, apply, knownAlready),
      );
    this.unsubscribes.push(
      shared(
        this.topics.sharedReplayFilter,
        "shared-replay",
        sharedReplaySchema,
        (pair) => this.onReplay(pair),
        (body) => this.knownPair(body),
      ),
      shared(
        this.topics.sharedPassageFilter,
        "shared-passage",
        sharedPassageSchema,
        (passage) => this.onPassage(passage),
        (body) => this.knownPassage(body),
      ),
      shared(this.topics.sharedCatchUpFilter, "shared-catch-up", sharedCatchUpSchema, (request) =>
        this.sender?.answerCatchUp(request.since),
      ),
      c.onConnection((up) => {
        if (up) this.sender?.connected();
        else this.sender?.disconnected();
      }),
    );
    const { gate, outbox, trust, clock, logger, passageHorizonMs } = this.deps;
    this.sender = new SiteSender(c, this.topics, {
      gate,
      outbox,
      trust,
      // A passage matters to the others until it is older than they accept (onPassage).
      passageKeepMs:
        passageHorizonMs === undefined
          ? UNTIMED_PASSAGE_KEEP_MS
          : passageHorizonMs + this.deps.clockToleranceMs,
      clockToleranceMs: this.deps.clockToleranceMs,
      clock,
      logger,
    });
    this.sender.start();
  }

  /** Unsubscribes and ends the verifier thread it started: records still being verified are dropped. */
  async stop(): Promise<void> {
    this.running = false;
    for (const u of this.unsubscribes.splice(0)) u();
    this.sender?.stop();
    this.sender = undefined;
    const own = this.ownVerifier;
    this.ownVerifier = undefined;
    this.verifier = undefined;
    await own?.stop();
    await this.settled();
  }

  /** Resolves once every record received so far is applied or refused. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** The verifier of records' signatures, from `start()` to `stop()`: others of the site's messages may use it. */
  get signatureVerifier(): SignatureVerifier | undefined {
    return this.verifier;
  }

  /** Records received and not yet applied or refused (their signatures are being verified). */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Pairs and passages taken from other gates since start. */
  receivedCounts(): { replay: number; passage: number } {
    return { ...this.received };
  }

  /** Records passed over unverified since start, because this gate knew them already (`receive`). */
  get alreadyKnown(): number {
    return this.known;
  }

  shareReplay(credential: string, step: number, expiresAt: number): void {
    this.sender?.shareReplay(credential, step, expiresAt);
  }

  sharePassage(person: string, zone: string, direction: "in" | "out", at: number): void {
    this.sender?.sharePassage(person, zone, direction, at);
  }

  /**
   * A record from another gate: checked up to its signature now, verified on the verifier's
   * thread, then checked on (`accepted`) and applied. This gate's own records, which the
   * broker sends back, are passed over without a count.
   */
  private receive<S extends SiteSchema>(
    topic: string,
    value: Record<string, unknown>,
    schema: S,
    kind: string,
    apply: (record: z.infer<S>) => void,
    knownAlready?: (body: Record<string, unknown>) => boolean,
  ): void {
    const verifier = this.verifier;
    if (!this.running || verifier === undefined) return;
    const own = this.deps.trust.ownId;
    if ((own !== undefined && value.signer === own) || (!("sig" in value) && value.gate === this.deps.gate))
      return;
    // A record that would change nothing here is passed over before its signature is
    // verified: applied, it would be a no-op, so whether it is genuine does not matter. When
    // a whole site reconnects at once every gate answers every catch-up with all its live
    // records, and each gate receives them from all the others: with 50 gates that is 49
    // times what it missed, most of it known, which would otherwise queue on the verifier
    // (and past its bound be refused as overloaded, news included).
    const body = "sig" in value ? value.body : value;
    if (knownAlready !== undefined && isPlainObject(body) && knownAlready(body)) {
      this.known++;
      return;
    }
    // A record is fresh within the clock tolerance, not the 30 s of a request: a gate whose
    // clock is off within it must still hear which codes were used (and replaying an old
    // record changes nothing: the pair or passage is there already, and bounded).
    const done = this.deps.trust
      .checkOffThread(topic, value, ["gate"], kind, Math.max(this.deps.clockToleranceMs, 30_000), verifier)
      .then((verdict) => {
        // A record verified after the stop is not applied: the gate's state is closing.
        if (!this.running) return;
        const record = this.accepted(topic, verdict, schema, kind);
        if (record !== undefined) apply(record);
      })
      .catch((err: unknown) => {
        this.deps.logger.error({ err: describeError(err), kind }, "a site record could not be applied");
      })
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  /**
   * The record in `verdict`, when its signer and body hold (docs/trust.md): the signer must
   * be a gate speaking for itself.
   */
  private accepted<S extends SiteSchema>(
    topic: string,
    verdict: TrustVerdict,
    schema: S,
    kind: string,
  ): z.infer<S> | undefined {
    if (!verdict.ok) return undefined;
    const body = schema.safeParse(verdict.body);
    if (!body.success) {
      this.deps.trust.refuse(kind, "invalid_body", verdict.signer?.id);
      return undefined;
    }
    if (body.data.gate === this.deps.gate) return undefined;
    // A gate speaks for itself, on its own topic (the signature binds the topic).
    if (
      sharedTopicGate(topic) !== body.data.gate ||
      (verdict.signer !== undefined && verdict.signer.gate !== body.data.gate)
    ) {
      this.deps.trust.refuse(kind, "not_authorized", verdict.signer?.id);
      return undefined;
    }
    return body.data as z.infer<S>;
  }

  /** The pair is in this gate's replay guard already (`onReplay` would change nothing). */
  private knownPair(body: Record<string, unknown>): boolean {
    const { credential, step } = body;
    return (
      typeof credential === "string" && typeof step === "number" && this.deps.replay.seen(credential, step)
    );
  }

  /** A passage of the person in the zone as new or newer is known (`onPassage` would change nothing). */
  private knownPassage(body: Record<string, unknown>): boolean {
    const { person, zone, at } = body;
    if (typeof person !== "string" || typeof zone !== "string" || typeof at !== "number") return false;
    const last = this.deps.presence.last(person, zone);
    return last !== undefined && last.at >= at;
  }

  private onReplay(pair: SharedReplay): void {
    // Bounded by what could still verify here: only a step within the window and the clock
    // tolerance of now, and no longer than that step's own expiry. Within those bounds a pair
    // is kept even when it looks expired by this gate's clock: a clock running ahead would
    // otherwise drop a pair that is still live, and once corrected accept the screenshot.
    // The prune removes pairs that are really old.
    const credential = this.deps.allowlist.get(pair.credential);
    if (credential === undefined) {
      this.deps.trust.refuse("shared-replay", "out_of_bounds");
      return;
    }
    const periodMs = periodOf(credential) * 1000;
    const now = this.deps.clock.now();
    const slack = this.deps.window + Math.ceil(this.deps.clockToleranceMs / periodMs);
    if (Math.abs(pair.step - Math.floor(now / periodMs)) > slack) {
      this.deps.trust.refuse("shared-replay", "out_of_bounds");
      return;
    }
    const expiresAt = Math.min(pair.expiresAt, replayExpiry(pair.step, periodMs / 1000, this.deps.window));
    this.deps.replay.accept(pair.credential, pair.step, expiresAt);
    this.received.replay++;
  }

  private onPassage(passage: SharedPassage): void {
    const now = this.deps.clock.now();
    const horizon = this.deps.passageHorizonMs;
    if (
      passage.at > now + this.deps.clockToleranceMs ||
      (horizon !== undefined && passage.at < now - horizon - this.deps.clockToleranceMs)
    ) {
      this.deps.trust.refuse("shared-passage", "out_of_bounds");
      return;
    }
    // Only a newer passage moves the state: a late catch-up must not undo a later one.
    const last = this.deps.presence.last(passage.person, passage.zone);
    if (last !== undefined && last.at >= passage.at) return;
    this.deps.presence.record(passage.person, passage.zone, passage.direction, passage.at);
    this.received.passage++;
  }
}
