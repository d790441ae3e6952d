import { NO_ANSWER_TEXT } from "../../daemon/decide/reason-texts.js";
import { readBridgeAnswer } from "../../daemon/mqtt/bridge-answer-shape.js";
import type { MqttConnection } from "../../daemon/mqtt/mqtt-connection.js";
import type { BridgeAnswer, GateTopics } from "../../daemon/mqtt/topics.js";
import { NonceWindow } from "../../daemon/trust/nonce-window.js";
import { Roster } from "../../daemon/trust/roster.js";
import { signMessage, verifyMessage } from "../../daemon/trust/signed-message.js";
import type { OwnSigner } from "../../daemon/trust/site-trust.js";
import type { Clock } from "../../platform/clock.js";
import { LogThrottle } from "../../platform/log/log-throttle.js";
import type { Logger } from "../../platform/log/logger.js";
import type { FeedbackResult, Scan } from "../scan-source.js";

/** Why a scan read at the bridge never reached the gate. */
export type SendDrop = "stale" | "queue_full";
/** Why an answer on the broker was not played. */
export type AnswerRefusal = "unsigned" | "bad_answer" | "unknown_scan";

/** How often waiting scans are checked for staleness. */
const SWEEP_MS = 200;
/** Scans held while the broker is away; they go stale within seconds anyway. */
const QUEUE_LIMIT = 256;
/** Answers are fresh within this much of the bridge's clock (the gate's clock may differ a little). */
const ANSWER_FRESHNESS_MS = 30_000;

/** What the turnstile shows for a scan: the gate's answer, or "try again" when none came. */
export interface PlayedAnswer {
  readonly reader: string;
  readonly seq: number;
  readonly result: FeedbackResult;
  readonly reason: string;
  readonly text: { readonly en: string; readonly ru: string };
  /** False when no answer came within the bound and the bridge played "denied, try again". */
  readonly answered: boolean;
  /** From the scan to the answer (or the timeout), ms. */
  readonly ms: number;
}

export interface ScanSenderOptions {
  readonly topics: GateTopics;
  readonly signer: OwnSigner;
  /** The gate's member (its id and public key): answers are played only when it signed them. */
  readonly gate: { readonly id: string; readonly gate: string; readonly publicKey: string } | undefined;
  /** A scan is sent only within this long of its scan; older ones are dropped, never sent. */
  readonly freshnessMs: number;
  readonly answerTimeoutMs: number;
  /** The readers whose answers to listen for. */
  readonly readers: readonly string[];
}

/**
 * The bridge's link to its gate (docs/bridge.md): each scan goes out as a message signed by
 * the bridge's key on `<gate>/reader/<reader>/scan`, numbered, with the time the scanner
 * delivered it. While the broker or the gate is away (the gate's retained status) scans
 * wait, and once both are back the ones still fresh are sent (signed anew, so the message is fresh; the scan time stays); older ones are
 * dropped and counted, never sent, so nothing opens late. Each scan then waits for the
 * gate's signed answer, matched by number, and plays it; with no answer within the bound it
 * plays "denied, try again".
 */
export class ScanSender {
  private seq: number;
  /** Scans waiting for the broker, each with performance.now() when the sender took it. */
  private readonly queue: { scan: Scan; took: number }[] = [];
  /** Scans sent and not yet answered, by number; `took`: performance.now() when the sender took the scan. */
  private readonly pending = new Map<number, { scan: Scan; timer: NodeJS.Timeout; took: number }>();
  private readonly unsubscribes: (() => void)[] = [];
  private readonly nonces = new NonceWindow(2 * ANSWER_FRESHNESS_MS, 10_000);
  private readonly roster: Roster;
  private readonly logs: LogThrottle;
  readonly counts = {
    sent: 0,
    answered: 0,
    noAnswer: 0,
    dropped: new Map<SendDrop, number>(),
    refusedAnswers: new Map<AnswerRefusal | string, number>(),
  };
  lastScanAt: number | undefined;
  /** Whether the gate's retained status says it runs. */
  private gateOnline = false;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly connection: MqttConnection,
    private readonly options: ScanSenderOptions,
    private readonly deps: {
      readonly clock: Clock;
      readonly logger: Logger;
      /** Plays an answer at the reader (beep/LED) and for a display. */
      readonly play: (answer: PlayedAnswer) => void;
    },
  ) {
    // Numbers only grow across restarts too: the gate journals them, and a person reading
    // the journal should not see one bridge's numbers start over.
    this.seq = deps.clock.now() * 1000;
    this.roster = new Roster(
      options.gate === undefined
        ? []
        : [
            {
              id: options.gate.id,
              kind: "gate",
              gate: options.gate.gate,
              publicKey: options.gate.publicKey,
              status: "active",
            },
          ],
    );
    this.logs = new LogThrottle(() => deps.clock.now());
  }

  start(): void {
    // The gate's retained status: scans wait while it is away (and go stale), as while the broker is.
    this.unsubscribes.push(
      this.connection.subscribe(this.options.topics.status, (_t, payload) => {
        this.gateOnline = payload.toString("utf8") === "online";
        if (this.gateOnline) this.flush();
      }),
    );
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
    for (const reader of this.options.readers) {
      const topic = this.options.topics.readerAnswer(reader);
      this.unsubscribes.push(this.connection.subscribe(topic, (t, payload) => this.onAnswer(t, payload)));
    }
    this.unsubscribes.push(
      this.connection.onConnection((up) => {
        // Whether the gate is there is known again from its retained status, after the reconnect.
        if (!up) this.gateOnline = false;
      }),
    );
  }

  stop(): void {
    clearInterval(this.sweeper);
    for (const u of this.unsubscribes.splice(0)) u();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  /** Sends one scan now, or keeps it while the broker is away. */
  send(scan: Scan): void {
    this.lastScanAt = scan.at;
    const took = performance.now();
    if (!this.connection.connected || !this.gateOnline) {
      this.enqueue(scan, took);
      return;
    }
    this.publish(scan, took);
  }

  private enqueue(scan: Scan, took: number): void {
    this.queue.push({ scan, took });
    if (this.queue.length > QUEUE_LIMIT) {
      this.queue.shift();
      this.drop("queue_full");
    }
  }

  /** Scans waiting for the broker. */
  get queued(): number {
    return this.queue.length;
  }

  private flush(): void {
    if (!this.connection.connected || !this.gateOnline) return;
    for (const { scan, took } of this.queue.splice(0)) this.publish(scan, took);
  }

  /** Waiting scans that went stale are dropped now, and the person told at once to try again. */
  private sweep(): void {
    const now = this.deps.clock.now();
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const scan = this.queue[i]?.scan;
      if (scan === undefined || now - scan.at <= this.options.freshnessMs) continue;
      this.queue.splice(i, 1);
      this.drop("stale");
      this.deps.play(this.notAnswered(scan, now));
    }
  }

  private publish(scan: Scan, took: number): void {
    const now = this.deps.clock.now();
    if (now - scan.at > this.options.freshnessMs) {
      this.drop("stale");
      this.deps.play(this.notAnswered(scan, now));
      return;
    }
    const seq = ++this.seq;
    const topic = this.options.topics.readerScan(scan.reader);
    const message = signMessage({
      topic,
      signer: this.options.signer.id,
      privateKey: this.options.signer.privateKey,
      body: { reader: scan.reader, text: scan.text, scannedAt: scan.at, seq },
      at: now,
    });
    if (!this.connection.publish(topic, JSON.stringify(message), { qos: 1 })) {
      this.enqueue(scan, took);
      return;
    }
    // On the wire now, not after whatever else this tick does (mqtt-packet corks until then).
    this.connection.flush();
    this.counts.sent++;
    const timer = setTimeout(() => {
      this.pending.delete(seq);
      this.counts.noAnswer++;
      this.deps.play(this.notAnswered(scan, this.deps.clock.now()));
    }, this.options.answerTimeoutMs);
    timer.unref();
    this.pending.set(seq, { scan, timer, took });
  }

  private onAnswer(topic: string, payload: Buffer): void {
    if (this.options.gate === undefined) {
      this.refuse("unsigned");
      return;
    }
    const verdict = verifyMessage(topic, payload, {
      roster: this.roster,
      kinds: ["gate"],
      now: this.deps.clock.now(),
      freshnessMs: ANSWER_FRESHNESS_MS,
      nonces: this.nonces,
    });
    if (!verdict.ok) {
      this.refuse(verdict.reason);
      return;
    }
    const answer: BridgeAnswer | undefined = readBridgeAnswer(verdict.body);
    if (answer === undefined) {
      this.refuse("bad_answer");
      return;
    }
    const waiting = this.pending.get(answer.seq);
    if (waiting === undefined || waiting.scan.reader !== answer.reader) {
      this.refuse("unknown_scan");
      return;
    }
    clearTimeout(waiting.timer);
    this.pending.delete(answer.seq);
    this.counts.answered++;
    this.deps.play({
      reader: answer.reader,
      seq: answer.seq,
      result: answer.result,
      reason: answer.reason,
      text: answer.text,
      answered: true,
      // From the moment the sender took the scan, on the monotonic clock (the wall clock's
      // whole milliseconds would add up to 1 ms of rounding to a time of about one).
      ms: Math.round((performance.now() - waiting.took) * 100) / 100,
    });
  }

  private notAnswered(scan: Scan, now: number): PlayedAnswer {
    return {
      reader: scan.reader,
      seq: 0,
      result: "denied",
      reason: "no_answer",
      text: NO_ANSWER_TEXT,
      answered: false,
      ms: now - scan.at,
    };
  }

  private drop(reason: SendDrop): void {
    this.counts.dropped.set(reason, (this.counts.dropped.get(reason) ?? 0) + 1);
    const held = this.logs.admit(`drop:${reason}`);
    if (held !== undefined) this.deps.logger.warn({ reason, held }, "scan not sent");
  }

  private refuse(reason: string): void {
    this.counts.refusedAnswers.set(reason, (this.counts.refusedAnswers.get(reason) ?? 0) + 1);
    const held = this.logs.admit(`answer:${reason}`);
    if (held !== undefined) this.deps.logger.warn({ reason, held }, "answer on the broker refused");
  }
}
