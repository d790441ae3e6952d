import type { IClientPublishOptions, MqttClient } from "mqtt";
import type { z } from "zod";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import { MAX_INBOUND_BYTES, STATUS_PAYLOADS } from "./topics.js";

/** Why an inbound message was dropped before anything acted on it. */
export type DropReason = "too_large" | "not_json" | "invalid";

type Handler = (topic: string, payload: Buffer) => void;

/** How long a stop waits for the broker, for `offline` and again for the close. */
const STOP_WAIT_MS = 2_000;

/** Whether `promise` settles within `ms`; the timer is cleared either way. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}

interface Subscription {
  readonly filter: string;
  readonly handler: Handler;
}

/** MQTT 5's reason code for a publish the broker's ACLs do not allow (mosquitto sends it in the PUBACK). */
const NOT_AUTHORIZED = 0x87;

/** How an inbound payload is read before its schema sees it. */
export type PayloadForm = "text" | "json";

/**
 * The gate's one MQTT session, around an mqtt.js client the composition root created
 * (see mqtt-client-options.ts: MQTT 5, retained `offline` will, no offline queue).
 *
 * - On every connect it publishes the retained birth `online` and subscribes again.
 * - Reconnects with doubling backoff (`minMs` … `maxMs`), since mqtt.js only knows a fixed period.
 * - `publish` sends only while connected and returns false otherwise: nothing is queued to
 *   go out later, because a queued "open" would open the turnstile after the person left.
 * - Inbound payloads are bounded and parsed against a schema; bad ones are dropped and
 *   counted per reason and topic kind (`dropCounts`).
 */
export class MqttConnection {
  private readonly subscriptions: Subscription[] = [];
  private readonly connectionListeners = new Set<(connected: boolean) => void>();
  private readonly drops = new Map<string, number>();
  private readonly refused = new Map<string, number>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private nextDelay: number;
  private stopped = false;
  private started = false;

  private readonly onConnect = () => {
    this.nextDelay = this.options.backoff.minMs;
    // An open must not wait behind Nagle for the ACK of the event published just before it:
    // with Nagle on, a delayed ACK stalled one open in ten by 40 ms (bench/mqtt-bench.ts).
    (this.client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    // Subscriptions first, then the birth: the broker handles a session's packets in order,
    // so whoever acts on seeing `online` (a reader bridge sending its waiting scans) finds
    // this session already listening.
    for (const s of this.subscriptions) this.subscribeOnBroker(s.filter);
    if (this.options.statusTopic !== undefined) {
      this.client.publish(this.options.statusTopic, STATUS_PAYLOADS.online, { qos: 1, retain: true });
    }
    this.log.info("mqtt connected");
    for (const l of this.connectionListeners) l(true);
  };
  private readonly onClose = () => {
    for (const l of this.connectionListeners) l(false);
    this.scheduleReconnect();
  };
  private readonly onError = (err: Error) => {
    this.log.warn({ err: describeError(err) }, "mqtt error");
  };
  private readonly onMessage = (topic: string, payload: Buffer) => {
    for (const s of this.subscriptions) {
      if (topicMatches(s.filter, topic)) s.handler(topic, payload);
    }
  };

  constructor(
    private readonly client: MqttClient,
    private readonly options: {
      /**
       * The gate's status topic: retained `online` here on every connect. Absent for a
       * session that is not the gate (the CLI's `relay test`), which must not announce one.
       */
      readonly statusTopic?: string | undefined;
      readonly backoff: { readonly minMs: number; readonly maxMs: number };
      readonly logger: Logger;
      /** How long `stop` waits for the broker, for `offline` and again for the close; default 2 s. */
      readonly stopWaitMs?: number;
    },
  ) {
    this.nextDelay = options.backoff.minMs;
  }

  private get log(): Logger {
    return this.options.logger;
  }

  /** Attaches to the client; resolves once connected or after `waitMs`, whichever is first. */
  async start(waitMs = 2_000): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.client.on("connect", this.onConnect);
    this.client.on("close", this.onClose);
    this.client.on("error", this.onError);
    this.client.on("message", this.onMessage);
    if (this.client.connected) this.onConnect();
    else if (!this.client.reconnecting && this.client.disconnected) this.scheduleReconnect();
    await this.waitConnected(waitMs);
  }

  /** Resolves true once connected, false after `ms`. */
  waitConnected(ms: number): Promise<boolean> {
    if (this.client.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.connectionListeners.delete(listener);
        resolve(false);
      }, ms);
      const listener = (up: boolean) => {
        if (!up) return;
        clearTimeout(timer);
        this.connectionListeners.delete(listener);
        resolve(true);
      };
      this.connectionListeners.add(listener);
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Calls `listener(true)` on each connect and `listener(false)` on each loss; returns an unsubscribe. */
  onConnection(listener: (connected: boolean) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  /**
   * Publishes now or not at all: false when disconnected. QoS 0 is the default because
   * mqtt.js would resend an unacknowledged QoS 1 packet after a reconnect, late.
   * `onAcked` is called once the broker acknowledged a QoS 1 or 2 packet (for QoS 0, once
   * it is written): a packet sent as the broker went away is acknowledged only if mqtt.js
   * resends it after a reconnect, or never.
   */
  publish(
    topic: string,
    payload: string,
    options: IClientPublishOptions = {},
    onAcked?: () => void,
  ): boolean {
    if (!this.client.connected) return false;
    this.client.publish(topic, payload, { qos: 0, ...options }, (err) => {
      if (err === undefined || err === null) onAcked?.();
      else if ((err as { code?: unknown }).code === NOT_AUTHORIZED) this.refuse(topic);
      else this.log.warn({ topic, err: describeError(err) }, "mqtt publish failed");
    });
    return true;
  }

  /**
   * The broker refused a publish of this session as not authorized (MQTT 5 PUBACK 0x87):
   * its ACLs do not give the account this topic, most often ACLs generated before the topic
   * existed. Said once per topic as an error with what to do, then only counted: every
   * refused message of that topic is lost until the ACLs change.
   */
  private refuse(topic: string): void {
    const before = this.refused.get(topic) ?? 0;
    this.refused.set(topic, before + 1);
    if (before === 0)
      this.log.error(
        { topic },
        "the broker refuses this topic to this account (not authorized): run `passgate broker acl` again and reload the broker (docs/mqtt.md)",
      );
  }

  /** Publishes the broker refused as not authorized, by topic, since start. */
  refusedPublishes(): ReadonlyMap<string, number> {
    return this.refused;
  }

  /**
   * Puts everything published so far on the wire now. mqtt-packet corks the socket for each
   * packet until the end of the tick (so its pieces go out in one write); an open command or
   * a bridge's answer would otherwise wait behind whatever the gate does next in the same
   * tick (logging, events, the passage, site share): 0.3 ms at the median, a few ms at times.
   */
  flush(): void {
    const stream = this.client.stream as { writableCorked?: number; uncork?: () => void } | undefined;
    // mqtt-packet's own uncork at the end of the tick then finds nothing corked and does nothing.
    for (let n = stream?.writableCorked ?? 0; n > 0; n--) stream?.uncork?.();
  }

  /** Receives raw payloads on `filter` (bounded in size); prefer `subscribeParsed`. */
  subscribe(filter: string, handler: Handler): () => void {
    const sub: Subscription = {
      filter,
      handler: (topic, payload) => {
        if (payload.length > MAX_INBOUND_BYTES) this.drop("too_large", filter);
        else handler(topic, payload);
      },
    };
    this.subscriptions.push(sub);
    if (this.client.connected) this.subscribeOnBroker(filter);
    return () => {
      const i = this.subscriptions.indexOf(sub);
      if (i >= 0) this.subscriptions.splice(i, 1);
      if (this.client.connected && !this.subscriptions.some((s) => s.filter === filter)) {
        this.client.unsubscribe(filter);
      }
    };
  }

  /** Receives payloads on `filter` that parse with `schema`; the rest are dropped and counted under `kind`. */
  subscribeParsed<S extends z.ZodType>(
    filter: string,
    form: PayloadForm,
    schema: S,
    kind: string,
    handler: (topic: string, value: z.infer<S>) => void,
  ): () => void {
    return this.subscribe(filter, (topic, payload) => {
      const value = parsePayload(payload, form, schema);
      if ("dropped" in value) this.drop(value.dropped, kind);
      else handler(topic, value.ok);
    });
  }

  /** Counts a dropped inbound message (also for handlers that validate further themselves). */
  drop(reason: DropReason, kind: string): void {
    const key = `${kind}:${reason}`;
    this.drops.set(key, (this.drops.get(key) ?? 0) + 1);
    this.log.warn({ kind, reason }, "mqtt payload dropped");
  }

  /** Dropped inbound messages by `kind:reason`, since start. */
  dropCounts(): ReadonlyMap<string, number> {
    return this.drops;
  }

  /** Publishes retained `offline` (a clean stop sends no will) and disconnects. */
  /**
   * Publishes the retained `offline` and closes the session, waiting at most `stopWaitMs`
   * (default 2 s) for each: mqtt.js settles neither a QoS 1 publish nor a graceful end once
   * the connection is gone (MQTT.js issues #1974 and #1987), and a gate that is stopping must
   * not hang on a broker that went away or stopped answering. Without the broker's
   * acknowledgement the socket is dropped instead, and the broker publishes the will
   * (`offline`, retained): the same state, said by the broker.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.client.off("connect", this.onConnect);
    this.client.off("close", this.onClose);
    this.client.off("message", this.onMessage);
    const wait = this.options.stopWaitMs ?? STOP_WAIT_MS;
    let acknowledged = true;
    if (this.client.connected && this.options.statusTopic !== undefined) {
      const offline = this.client
        .publishAsync(this.options.statusTopic, STATUS_PAYLOADS.offline, { qos: 1, retain: true })
        .catch((err: unknown) => {
          this.log.debug({ err: describeError(err) }, "offline publish failed");
          acknowledged = false;
        });
      if (!(await settlesWithin(offline, wait))) acknowledged = false;
    }
    // A graceful end first waits for every QoS 1 publish in flight to be acknowledged.
    const graceful = acknowledged && this.client.connected && Object.keys(this.client.outgoing).length === 0;
    if (!graceful) this.log.warn("the broker did not acknowledge offline in time; leaving it to the will");
    if (
      !(await settlesWithin(
        this.client.endAsync(!graceful).catch(() => undefined),
        wait,
      ))
    ) {
      this.log.warn("the MQTT session did not close in time; dropping its socket");
      this.client.stream?.destroy();
    }
    this.client.off("error", this.onError);
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer !== undefined) return;
    const delay = this.nextDelay;
    this.nextDelay = Math.min(this.options.backoff.maxMs, this.nextDelay * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopped || this.client.connected) return;
      this.client.reconnect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private subscribeOnBroker(filter: string): void {
    this.client.subscribe(filter, { qos: 1 }, (err) => {
      if (err) this.log.warn({ filter, err: describeError(err) }, "mqtt subscribe failed");
    });
  }
}

/** Parses a payload as `form` and then `schema`. */
export function parsePayload<S extends z.ZodType>(
  payload: Buffer,
  form: PayloadForm,
  schema: S,
): { ok: z.infer<S> } | { dropped: DropReason } {
  if (payload.length > MAX_INBOUND_BYTES) return { dropped: "too_large" };
  const text = payload.toString("utf8");
  let raw: unknown = text;
  if (form === "json") {
    try {
      raw = JSON.parse(text);
    } catch {
      return { dropped: "not_json" };
    }
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? { ok: parsed.data } : { dropped: "invalid" };
}

/** MQTT topic filter matching with `+` and a trailing `#`. */
export function topicMatches(filter: string, topic: string): boolean {
  // Most filters name one topic: every message is matched against every subscription, and
  // splitting both strings each time cost more than the rest of the dispatch.
  if (!filter.includes("+") && !filter.includes("#")) return filter === topic;
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
