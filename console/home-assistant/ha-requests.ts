import { randomUUID } from "node:crypto";
import type { GateMode } from "../../config/schema.js";
import type { MqttConnection } from "../../daemon/mqtt/mqtt-connection.js";
import { gateTopics } from "../../daemon/mqtt/topics.js";
import type { OperatorRole } from "../../daemon/trust/roster-member.js";
import { signMessage } from "../../daemon/trust/signed-message.js";
import type { OwnSigner } from "../../daemon/trust/site-trust.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";

/** Who the gate journals as having asked, beside the operator that signed. */
export const HA_USER = "home-assistant";
/** The reason an open from Home Assistant is journaled with. */
export const HA_OPEN_REASON = "Home Assistant";
/** Default: one open per relay, and one mode change per gate, per 2 s. */
export const HA_COMMAND_INTERVAL_MS = 2_000;

/** Why a command from Home Assistant was not sent to a gate. */
export type HaRefusal =
  | "too_large"
  | "invalid_topic"
  | "invalid"
  | "unknown_gate"
  | "unknown_relay"
  | "not_allowed"
  | "rate_limited"
  | "not_connected";

/** What a command needs to be sent: the gate and the relay it names exist, the operator may. */
export interface HaRequestTarget {
  readonly gate: string;
  /** The relay ids of the gate's retained state. */
  readonly relays: readonly string[];
}

/**
 * Turns Home Assistant's commands into requests signed with the console's operator key
 * (site-roster.md): `request/mode` with `{mode, user}`, `request/open` with
 * `{relay, reason, user}`, each with a transaction id. A command the operator's roles or
 * gates do not allow, or that comes within the interval of the last one for the same relay
 * (open) or gate (mode), is refused here; the gate checks the signature, the roles and the
 * bounds again on its side.
 */
export class HaRequests {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly options: {
      readonly connection: MqttConnection;
      readonly prefix: string;
      readonly site: string;
      readonly operator: OwnSigner;
      readonly roles: readonly OperatorRole[];
      /** The gates the operator may act on; undefined: every gate of the site. */
      readonly gates: readonly string[] | undefined;
      readonly clock: Clock;
      readonly logger: Logger;
      readonly intervalMs: number;
    },
  ) {}

  /** Whether the operator may change modes (admin) at `gate`. */
  mayChangeMode(gate: string): boolean {
    return this.mayActOn(gate) && this.options.roles.includes("admin");
  }

  /** Whether the operator may open once (guard or admin) at `gate`. */
  mayOpen(gate: string): boolean {
    return (
      this.mayActOn(gate) && (this.options.roles.includes("guard") || this.options.roles.includes("admin"))
    );
  }

  /** Sends a signed mode request; the transaction id, or why not. */
  mode(target: HaRequestTarget, mode: GateMode): { sent: string } | { refused: HaRefusal } {
    if (!this.mayChangeMode(target.gate)) return { refused: "not_allowed" };
    const topic = gateTopics(this.ids(target.gate)).request("mode");
    return this.send(`mode:${target.gate}`, target.gate, topic, { mode, user: HA_USER });
  }

  /** Sends a signed open-once request for `relay`; the transaction id, or why not. */
  open(target: HaRequestTarget, relay: string): { sent: string } | { refused: HaRefusal } {
    if (!this.mayOpen(target.gate)) return { refused: "not_allowed" };
    if (!target.relays.includes(relay)) return { refused: "unknown_relay" };
    const topic = gateTopics(this.ids(target.gate)).request("open");
    return this.send(`open:${target.gate}/${relay}`, target.gate, topic, {
      relay,
      reason: HA_OPEN_REASON,
      user: HA_USER,
    });
  }

  private mayActOn(gate: string): boolean {
    return this.options.gates === undefined || this.options.gates.includes(gate);
  }

  private ids(gate: string) {
    return { prefix: this.options.prefix, site: this.options.site, gate };
  }

  private send(
    key: string,
    gate: string,
    topic: string,
    body: Record<string, unknown>,
  ): { sent: string } | { refused: HaRefusal } {
    const { clock, operator, connection } = this.options;
    const now = clock.now();
    const last = this.last.get(key);
    if (last !== undefined && now - last < this.options.intervalMs) return { refused: "rate_limited" };
    const transaction = `ha-${randomUUID()}`;
    const message = signMessage({
      topic,
      signer: operator.id,
      privateKey: operator.privateKey,
      body: { ...body, transaction },
      at: now,
    });
    // QoS 0 like every command: a request resent after a reconnect would arrive late.
    if (!connection.publish(topic, JSON.stringify(message))) return { refused: "not_connected" };
    this.last.set(key, now);
    this.options.logger.info(
      { gate, request: topic.slice(topic.lastIndexOf("/") + 1), ...body, transaction },
      "home assistant request sent",
    );
    return { sent: transaction };
  }
}
