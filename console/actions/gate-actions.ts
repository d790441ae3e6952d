import type { MqttConnection } from "../../daemon/mqtt/mqtt-connection.js";
import { signedRequest } from "../../daemon/mqtt/signed-request.js";
import { type GateCommand, gateTopics } from "../../daemon/mqtt/topics.js";
import type { OwnSigner } from "../../daemon/trust/site-trust.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import type { GateMode } from "../api.js";

/** How long an action waits for the gate's answer before telling the user there was none, ms. */
export const ANSWER_WAIT_MS = 5_000;

export type ActionOutcome =
  | { readonly ok: true; readonly data: Readonly<Record<string, unknown>> }
  | {
      readonly ok: false;
      readonly error: "gate_refused" | "gate_no_answer";
      readonly message: string;
    };

export interface GateActionDeps {
  readonly connection: MqttConnection;
  readonly prefix: string;
  readonly site: string;
  /** The console's operator key: every request is signed as `operator:<name>` (site-roster.md). */
  readonly operator: OwnSigner;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly answerWaitMs?: number;
}

/**
 * What a console user may ask of a gate, as requests signed with the console's operator
 * key; the gate checks the signature, the operator's roles and gates, and journals the
 * request with the user named in it. Each request and its outcome is logged with the user.
 */
export class GateActions {
  constructor(private readonly deps: GateActionDeps) {}

  /** Opens `relay` of `gate` once (`request/open`), for `reason` (3–120 characters, checked by the caller). */
  open(gate: string, relay: string, reason: string, user: string): Promise<ActionOutcome> {
    return this.ask(gate, "open", { relay, reason, user }, user);
  }

  /** Sets the gate's mode (`request/mode`); the roster must list the console's operator as admin. */
  mode(gate: string, mode: GateMode, user: string): Promise<ActionOutcome> {
    return this.ask(gate, "mode", { mode, user }, user);
  }

  private async ask(
    gate: string,
    command: GateCommand,
    body: Record<string, unknown>,
    user: string,
  ): Promise<ActionOutcome> {
    const { connection, prefix, site, operator, clock, logger } = this.deps;
    const wait = this.deps.answerWaitMs ?? ANSWER_WAIT_MS;
    logger.info({ user, gate, command, ...body }, "asking the gate");
    if (!connection.connected) {
      logger.warn({ user, gate, command }, "not sent: the console is not connected to the broker");
      return {
        ok: false,
        error: "gate_no_answer",
        message: "the console is not connected to the site's broker",
      };
    }
    const topics = gateTopics({ prefix, site, gate });
    const { answer, ms } = await signedRequest(
      connection,
      topics,
      command,
      body,
      operator,
      clock,
      wait,
      "console",
    );
    if (answer === undefined) {
      logger.warn({ user, gate, command, ms }, "the gate did not answer");
      return {
        ok: false,
        error: "gate_no_answer",
        message: `gate ${gate} did not answer within ${wait / 1000} s: is it running, and is ${operator.id} in its roster?`,
      };
    }
    if (answer.status !== "ok") {
      const error = typeof answer.error === "string" ? answer.error.slice(0, 200) : "error";
      logger.warn({ user, gate, command, error }, "the gate refused");
      return { ok: false, error: "gate_refused", message: error };
    }
    logger.info({ user, gate, command, ms }, "the gate did it");
    return { ok: true, data: answer.data ?? {} };
  }
}
