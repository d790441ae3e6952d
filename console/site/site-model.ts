import type { MqttConnection } from "../../daemon/mqtt/mqtt-connection.js";
import { MAX_INBOUND_BYTES } from "../../daemon/mqtt/topics.js";
import type { Clock } from "../../platform/clock.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { AlarmKind, AlarmView, GateView, LaneDecision, LiveEvent, SiteSnapshot } from "../api.js";
import type { ConsoleCounters } from "../console-counters.js";
import type { AlarmStore } from "../store/alarm-store.js";
import type { DecisionStore } from "../store/decision-store.js";
import { DECISIONS_KEPT_MS } from "../store/decision-store.js";
import { GateRecord } from "./gate-record.js";
import {
  type GateEvent,
  gateEventSchema,
  parseSiteTopic,
  type SiteTopicKind,
  stateSchema,
  statusSchema,
} from "./site-payloads.js";

/** Decisions shown per lane. */
export const LANE_DECISIONS = 20;
/** Gates followed at most: topics of more are dropped and counted (a site has a few dozen). */
const MAX_GATES = 256;
/** How often old decisions and acknowledged alarms are pruned, ms. */
const PRUNE_EVERY_MS = 60 * 60_000;

export interface SiteModelDeps {
  readonly connection: MqttConnection;
  readonly prefix: string;
  readonly site: string;
  readonly timeZone: string;
  readonly alarms: AlarmStore;
  readonly decisions: DecisionStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly counters: ConsoleCounters;
  /** How long a relay never seen reachable may stay unreachable before it is an alarm, ms. */
  readonly relayDownGraceMs?: number;
}

/**
 * The console's view of its site, built from what the gates publish: each gate's status
 * and retained state, the lanes' recent decisions with their passages, and the alarms,
 * which stay (in the database) until a user acknowledges them. Every payload is bounded
 * and validated; a bad one is dropped and counted (`mqtt_dropped:<kind>:<reason>`) and
 * the console keeps serving. Listeners get each change as a `LiveEvent`.
 */
/** How long a relay never seen reachable may stay unreachable before it is an alarm, ms. */
export const RELAY_DOWN_GRACE_MS = 20_000;
/** How often lasting conditions are looked at again, ms. */
const RECHECK_EVERY_MS = 5_000;

export class SiteModel {
  private readonly gates = new Map<string, GateRecord>();
  private readonly lanes = new Map<string, LaneDecision[]>();
  private readonly listeners = new Set<(event: LiveEvent) => void>();
  private readonly unsubscribes: (() => void)[] = [];
  private pruneTimer: NodeJS.Timeout | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: SiteModelDeps) {}

  start(): void {
    const { connection, prefix, site, decisions, clock } = this.deps;
    this.prune();
    for (const d of [...decisions.recent(clock.now() - DECISIONS_KEPT_MS, 5_000)].reverse())
      this.addToLane(d);
    for (const kind of ["status", "state", "event"] as const)
      this.unsubscribes.push(
        connection.subscribe(`${prefix}/${site}/+/${kind}`, (topic, payload) => this.receive(topic, payload)),
      );
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
    // Conditions that begin by lasting (a relay that never came up) need no new message.
    this.recheckTimer = setInterval(() => {
      for (const [gate, record] of this.gates)
        if (record.relaysDownSince.size > 0) this.checkConditions(gate, record);
    }, RECHECK_EVERY_MS);
    this.recheckTimer.unref();
  }

  stop(): void {
    clearInterval(this.pruneTimer);
    clearInterval(this.recheckTimer);
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    this.listeners.clear();
  }

  /** Calls `listener` with every change; returns the unsubscribe. */
  onEvent(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): SiteSnapshot {
    return {
      site: this.deps.site,
      timeZone: this.deps.timeZone,
      gates: [...this.gates.values()].map((g) => g.view()).sort((a, b) => a.gate.localeCompare(b.gate)),
      decisions: [...this.lanes.values()].flat().sort((a, b) => b.at - a.at),
      alarms: this.deps.alarms.list(),
    };
  }

  gate(id: string): GateView | undefined {
    return this.gates.get(id)?.view();
  }

  /** Acknowledges an alarm as `user`; the acknowledged alarm, or undefined when unknown or done already. */
  acknowledge(id: string, user: string): AlarmView | undefined {
    const alarm = this.deps.alarms.acknowledge(id, user, this.deps.clock.now());
    if (alarm !== undefined) {
      this.deps.logger.info({ user, alarm: id, gate: alarm.gate, kind: alarm.kind }, "alarm acknowledged");
      this.emit({ type: "alarm", alarm });
    }
    return alarm;
  }

  private receive(topic: string, payload: Buffer) {
    const where = parseSiteTopic(topic, this.deps.prefix, this.deps.site);
    if (where === undefined) return this.dropped("topic", "invalid");
    if (!this.gates.has(where.gate) && this.gates.size >= MAX_GATES)
      return this.dropped(where.kind, "too_many_gates");
    try {
      this.apply(where.gate, where.kind, payload);
    } catch (err) {
      // A database error on one message must not stop the console serving the others.
      this.deps.logger.error(
        { err: describeError(err), gate: where.gate, kind: where.kind },
        "gate message failed",
      );
      this.dropped(where.kind, "failed");
    }
  }

  private apply(gate: string, kind: SiteTopicKind, payload: Buffer) {
    if (payload.length > MAX_INBOUND_BYTES) return this.dropped(kind, "too_large");
    // An empty retained message is how a retained topic is cleared (a gate taken out of
    // service): nothing to show, and nothing malformed to count.
    if (payload.length === 0) return;
    const text = payload.toString("utf8");
    if (kind === "status") {
      const status = statusSchema.safeParse(text);
      if (!status.success) return this.dropped(kind, "invalid");
      return this.gateStatus(gate, status.data === "online");
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.dropped(kind, "not_json");
    }
    if (kind === "state") {
      const state = stateSchema.safeParse(json);
      if (!state.success || state.data.gate !== gate) return this.dropped(kind, "invalid");
      const record = this.record(gate);
      record.state = state.data;
      this.emit({ type: "gate", gate: record.view() });
      return this.checkConditions(gate, record);
    }
    const event = gateEventSchema.safeParse(json);
    if (!event.success || event.data.gate !== gate) return this.dropped(kind, "invalid");
    this.gateEvent(gate, event.data);
  }

  private gateStatus(gate: string, online: boolean) {
    const record = this.record(gate);
    record.online = online;
    this.emit({ type: "gate", gate: record.view() });
    this.checkConditions(gate, record);
  }

  private gateEvent(gate: string, event: GateEvent) {
    switch (event.type) {
      case "decision": {
        const d: LaneDecision = {
          id: event.id ?? `${gate}:${event.seq ?? ""}:${event.at}:${event.reader}`,
          at: event.at,
          gate,
          reader: event.reader,
          direction: event.direction,
          result: event.result,
          reason: event.reason,
          ...(event.credential !== null && { credential: event.credential }),
          ...(event.person !== null && { person: event.person }),
          ...(event.name !== undefined && { name: event.name }),
        };
        if (!this.addToLane(d)) return this.dropped("event", "too_many_lanes");
        this.deps.decisions.add(d);
        return this.emit({ type: "decision", decision: d });
      }
      case "passage": {
        if (event.decisionId === undefined) return;
        this.deps.decisions.setPassage(event.decisionId, event.result);
        const lane = this.lanes.get(`${gate}/${event.reader}`);
        const i = lane?.findIndex((d) => d.id === event.decisionId) ?? -1;
        const found = lane?.[i];
        if (lane === undefined || found === undefined) return;
        const updated = { ...found, passage: event.result };
        lane[i] = updated;
        return this.emit({ type: "decision", decision: updated });
      }
      case "alarm": {
        const subject = event.reader ?? event.relay ?? event.bridge;
        // A forced passage is an alarm each time; the others stand for a condition, raised once until acknowledged.
        if (event.result === "forced_passage" || !this.deps.alarms.hasOpen(gate, event.result, subject))
          this.raise(gate, event.result, subject, event.at);
        return;
      }
      default:
        // Relay results and operator opens are journaled at the gate; the desk shows their effect.
        return;
    }
  }

  /**
   * Raises an alarm for every condition of the gate that just began: offline, a relay
   * unreachable, a paired bridge offline, the clock not synchronised. A condition that
   * holds on is not raised again; one that ends and comes back is.
   */
  private checkConditions(gate: string, record: GateRecord) {
    const now = new Map<string, { kind: AlarmKind; subject: string | undefined }>();
    if (record.online === false) now.set("gate_offline", { kind: "gate_offline", subject: undefined });
    const state = record.state;
    if (state !== undefined && record.online !== false) {
      const at = this.deps.clock.now();
      for (const [relay, up] of Object.entries(state.relays)) {
        if (up) {
          record.relaysSeenUp.add(relay);
          record.relaysDownSince.delete(relay);
          continue;
        }
        // A gate just started reports its relays unreachable until each board's status comes:
        // that is an alarm only for a relay that was reachable before, or that stays down.
        const since = record.relaysDownSince.get(relay) ?? at;
        record.relaysDownSince.set(relay, since);
        if (
          record.relaysSeenUp.has(relay) ||
          at - since >= (this.deps.relayDownGraceMs ?? RELAY_DOWN_GRACE_MS)
        )
          now.set(`relay_offline/${relay}`, { kind: "relay_offline", subject: relay });
      }
      for (const b of state.bridges ?? [])
        if (b.paired && b.status === "offline")
          now.set(`bridge_offline/${b.id}`, { kind: "bridge_offline", subject: b.id });
      if (state.clock?.synced === false)
        now.set("clock_unsynced", { kind: "clock_unsynced", subject: undefined });
    }
    for (const [key, c] of now)
      if (!record.conditions.has(key) && !this.deps.alarms.hasOpen(gate, c.kind, c.subject))
        this.raise(gate, c.kind, c.subject, this.deps.clock.now());
    record.conditions = new Set(now.keys());
  }

  private raise(gate: string, kind: AlarmKind, subject: string | undefined, at: number): void {
    const alarm = this.deps.alarms.raise(at, gate, kind, subject);
    this.deps.counters.inc(`alarm:${kind}`);
    this.deps.logger.warn({ gate, kind, subject }, "alarm");
    this.emit({ type: "alarm", alarm });
  }

  /** Adds a decision to its lane (newest first, bounded); false when the gate has too many lanes. */
  private addToLane(d: LaneDecision): boolean {
    const key = `${d.gate}/${d.reader}`;
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      const record = this.record(d.gate);
      if (record.lanes >= GateRecord.MAX_LANES) return false;
      record.lanes++;
      lane = [];
      this.lanes.set(key, lane);
    }
    if (lane.some((x) => x.id === d.id)) return true;
    lane.unshift(d);
    lane.sort((a, b) => b.at - a.at);
    lane.length = Math.min(lane.length, LANE_DECISIONS);
    return true;
  }

  private record(gate: string): GateRecord {
    let record = this.gates.get(gate);
    if (record === undefined) {
      record = new GateRecord(gate);
      this.gates.set(gate, record);
    }
    return record;
  }

  private dropped(kind: string, reason: string): void {
    this.deps.counters.inc(`mqtt_dropped:${kind}:${reason}`);
    this.deps.logger.debug({ kind, reason }, "gate message dropped");
  }

  private emit(event: LiveEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.deps.logger.warn({ err: describeError(err) }, "live event listener failed");
      }
    }
  }

  private prune(): void {
    const now = this.deps.clock.now();
    this.deps.decisions.prune(now);
    this.deps.alarms.prune(now);
  }
}
