import { randomUUID } from "node:crypto";
import type { MqttConnection } from "../../daemon/mqtt/mqtt-connection.js";
import type { GateTopics } from "../../daemon/mqtt/topics.js";

/** How often the bridge asks its gate whether it is paired, ms. */
const ASK_EVERY_MS = 30_000;

/**
 * Whether the bridge's gate has it in its roster (`paired`), asked of the gate's `status`
 * (open to anyone; it changes nothing) on every connect and every 30 s, so the bridge can
 * say itself that it is `unpaired` — its scans then do nothing — in its state and its log.
 * `undefined` until the gate has answered.
 */
export class PairingWatch {
  private current: boolean | undefined;
  private transaction = "";
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribes: (() => void)[] = [];

  constructor(
    private readonly connection: MqttConnection,
    private readonly topics: GateTopics,
    private readonly memberId: string,
    /** Told each change: the first answer, and every change after. */
    private readonly onChange: (paired: boolean) => void,
  ) {}

  get paired(): boolean | undefined {
    return this.current;
  }

  start(): void {
    this.unsubscribes.push(
      this.connection.subscribe(this.topics.response("status"), (_t, payload) => this.onAnswer(payload)),
      // The gate came (back) online: ask it now rather than at the next tick.
      this.connection.subscribe(this.topics.status, (_t, payload) => {
        if (payload.toString("utf8") === "online") this.ask();
      }),
      this.connection.onConnection((up) => {
        if (up) this.ask();
      }),
    );
    this.timer = setInterval(() => this.ask(), ASK_EVERY_MS);
    this.timer.unref();
    this.ask();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const u of this.unsubscribes.splice(0)) u();
  }

  /** A signed answer from the gate came: only a paired bridge gets one. */
  answered(): void {
    this.set(true);
  }

  /** A scan got no answer: ask again now (the gate may have dropped the bridge, or not have it yet). */
  recheck(): void {
    this.ask();
  }

  private set(paired: boolean): void {
    if (paired === this.current) return;
    this.current = paired;
    this.onChange(paired);
  }

  private ask(): void {
    if (!this.connection.connected) return;
    this.transaction = `pair-${randomUUID()}`;
    this.connection.publish(
      this.topics.request("status"),
      JSON.stringify({ transaction: this.transaction }),
      {
        qos: 1,
      },
    );
  }

  private onAnswer(payload: Buffer): void {
    let answer: { transaction?: unknown; data?: { bridges?: unknown } };
    try {
      answer = JSON.parse(payload.toString("utf8")) as typeof answer;
    } catch {
      return;
    }
    if (answer.transaction !== this.transaction || !Array.isArray(answer.data?.bridges)) return;
    const paired = (answer.data.bridges as { id?: unknown; paired?: unknown }[]).some(
      (b) => b.id === this.memberId && b.paired === true,
    );
    this.set(paired);
  }
}
