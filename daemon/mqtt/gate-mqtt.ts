import { z } from "zod";
import type { GateMode } from "../../config/schema.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { ScanOutcome } from "../gate/gate.js";
import type { RosterMember } from "../trust/roster-member.js";
import type { SiteTrust } from "../trust/site-trust.js";
import { type MqttConnection, parsePayload } from "./mqtt-connection.js";
import {
  type DecisionEventPayload,
  type GateCommand,
  type GateEventPayload,
  type GateStatePayload,
  type GateTopics,
  type RelayEventPayload,
  type ResponsePayload,
  requestCommand,
  requestSchemas,
} from "./topics.js";

/**
 * What the gate does for each request; the result becomes the response's `data`. `by` is
 * the roster member who signed the request, for the journal (requests are never taken
 * unsigned: `trust.acceptUnsigned` is for site records only).
 */
export interface GateRequestHandlers {
  /** `user`: the console's logged-in user who asked, when the request named one. */
  mode(mode: GateMode, by: string | undefined, user: string | undefined): Record<string, unknown>;
  pulse(relay: string, ms: number | undefined, by: string | undefined): Promise<Record<string, unknown>>;
  /** Opens a lane once for a person (`request/open`); `by` is always the signer. */
  open(request: OpenRequest, by: string): Promise<Record<string, unknown>>;
  status(): Record<string, unknown>;
}

/** An operator's open request as the handler gets it: checked, signed, allowed. */
export interface OpenRequest {
  readonly relay: string;
  readonly reason: string;
  readonly user: string | undefined;
}

/** Any JSON object: a request before its signature and schema are checked. */
const jsonObject = z.record(z.string(), z.unknown());

/**
 * Whether an operator may make this request of this gate (site-roster.md): a pulse (a test
 * pulse) or an open (open once for a person) needs the guard or admin role, a mode change
 * admin; `gates`, when given, must name it.
 */
export function operatorMay(member: RosterMember, command: "mode" | "pulse" | "open", gate: string): boolean {
  if (member.kind !== "operator") return false;
  if (member.gates !== undefined && !member.gates.includes(gate)) return false;
  const roles = member.roles ?? [];
  return command === "mode" ? roles.includes("admin") : roles.includes("guard") || roles.includes("admin");
}

/** Thrown by a handler to answer `status: "error"` with its message. */
export class RequestError extends Error {
  readonly code = "request_refused";
}

/**
 * The gate's side of MQTT: publishes decisions and relay results on the event topic and
 * the retained gate state, and answers requests on `request/<command>` with a response
 * on `response/<command>` echoing `transaction` (zigbee2mqtt's bridge-request style).
 * Events go out only while connected; the journal is the complete record.
 */
export class GateMqtt {
  private unsubscribe: (() => void) | undefined;
  private stopListening: (() => void) | undefined;
  private lastState: GateStatePayload | undefined;

  constructor(
    private readonly connection: MqttConnection,
    readonly topics: GateTopics,
    private readonly deps: {
      readonly gate: string;
      readonly handlers: GateRequestHandlers;
      /** Checks who signed a `mode` or `pulse` request (`status` changes nothing and stays open). */
      readonly trust: SiteTrust;
      readonly logger: Logger;
    },
  ) {}

  start(): void {
    this.unsubscribe = this.connection.subscribe(this.topics.requestFilter, (topic, payload) =>
      this.onRequest(topic, payload),
    );
    // A broker restarted without persistence forgets retained state: publish it again.
    this.stopListening = this.connection.onConnection((up) => {
      if (up && this.lastState !== undefined) this.publishState(this.lastState);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.stopListening?.();
  }

  publishDecision(
    outcome: ScanOutcome,
    reader: { readonly id: string; readonly direction: "in" | "out" },
    at: number,
  ): void {
    const event: DecisionEventPayload = {
      type: "decision",
      id: outcome.entry?.id,
      seq: outcome.entry?.seq,
      at,
      gate: this.deps.gate,
      reader: reader.id,
      direction: reader.direction,
      credential: outcome.credential,
      person: outcome.person,
      result: outcome.decision.result,
      reason: outcome.decision.reason,
      flags: outcome.decision.flags,
      ...(outcome.name === undefined ? {} : { name: outcome.name }),
      micros: Math.round(outcome.micros),
    };
    this.publishEvent(event);
  }

  publishRelay(event: Omit<RelayEventPayload, "type" | "gate">): void {
    this.publishEvent({ type: "relay", gate: this.deps.gate, ...event });
  }

  publishEvent(event: GateEventPayload | Readonly<Record<string, unknown>>): void {
    this.connection.publish(this.topics.event, JSON.stringify(event), { qos: 0 });
  }

  /** Publishes the retained gate state (now, or on the next connect). */
  publishState(state: GateStatePayload): void {
    this.lastState = state;
    this.connection.publish(this.topics.state, JSON.stringify(state), { qos: 1, retain: true });
  }

  private onRequest(topic: string, payload: Buffer): void {
    const command = requestCommand(this.topics, topic);
    if (command === undefined) {
      this.connection.drop("invalid", "request");
      return;
    }
    if (command === "status") {
      const form = payload.length === 0 ? "text" : "json";
      const parsed = parsePayload(payload, form, requestSchemas.status);
      if ("dropped" in parsed) {
        this.connection.drop(parsed.dropped, "request-status");
        this.respond(command, { status: "error", data: {}, error: "invalid status request" });
        return;
      }
      const transaction = parsed.ok === "" ? undefined : parsed.ok.transaction;
      this.answer(command, transaction, () => Promise.resolve(this.deps.handlers.status()));
      return;
    }
    const kind = `request-${command}`;
    const value = parsePayload(payload, "json", jsonObject);
    if ("dropped" in value) {
      this.connection.drop(value.dropped, kind);
      return;
    }
    // A request that is not signed by a member of the roster is not answered: it is counted
    // and logged, and nothing that could help a forger goes back on the broker.
    const verdict = this.deps.trust.check(topic, value.ok, ["operator"], kind, undefined, "never");
    if (!verdict.ok) return;
    const by = verdict.signer?.id;
    const body = requestSchemas[command].safeParse(verdict.body);
    if (!body.success) {
      this.deps.trust.refuse(kind, "invalid_body", by);
      const transaction = echoedTransaction(verdict.body);
      this.respond(command, {
        status: "error",
        data: {},
        error: `invalid ${command} request: ${firstIssue(body.error)}`,
        transaction,
      });
      return;
    }
    const transaction = body.data.transaction;
    if (verdict.signer !== undefined && !operatorMay(verdict.signer, command, this.deps.gate)) {
      this.deps.trust.refuse(kind, "not_authorized", by);
      this.respond(command, {
        status: "error",
        data: {},
        error: `${by} may not ${command} at this gate`,
        transaction,
      });
      return;
    }
    this.dispatch(command, verdict.body, by, transaction);
  }

  /** Runs a checked, allowed request; each command parses its own body again for its type. */
  private dispatch(
    command: Exclude<GateCommand, "status">,
    raw: unknown,
    by: string | undefined,
    transaction: string | number | undefined,
  ): void {
    const { handlers } = this.deps;
    if (command === "mode") {
      const { mode, user } = requestSchemas.mode.parse(raw);
      this.answer(command, transaction, () => Promise.resolve(handlers.mode(mode, by, user)));
    } else if (command === "open") {
      const { relay, reason, user } = requestSchemas.open.parse(raw);
      // Every open names its signer: the journal and the event say who opened the lane.
      if (by === undefined) return;
      this.answer(command, transaction, () => handlers.open({ relay, reason, user }, by));
    } else {
      const { relay, ms } = requestSchemas.pulse.parse(raw);
      this.answer(command, transaction, () => handlers.pulse(relay, ms, by));
    }
  }

  private answer(
    command: GateCommand,
    transaction: string | number | undefined,
    run: () => Promise<Record<string, unknown>>,
  ): void {
    void run().then(
      (data) => this.respond(command, { status: "ok", data, transaction }),
      (err: unknown) => {
        this.deps.logger.warn({ command, err: describeError(err) }, "request failed");
        const error = err instanceof RequestError ? err.message : "request failed";
        this.respond(command, { status: "error", data: {}, error, transaction });
      },
    );
  }

  private respond(command: GateCommand, response: ResponsePayload): void {
    this.connection.publish(this.topics.response(command), JSON.stringify(response), { qos: 1 });
  }
}

/** The first problem zod found, as `field: message`, for the error answer (no value is echoed). */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "unreadable body";
  const path = issue.path.join(".");
  return path === "" ? issue.message : `${path}: ${issue.message}`;
}

/** The `transaction` of a body that failed its schema, when that part of it is well-formed. */
function echoedTransaction(body: unknown): string | number | undefined {
  if (typeof body !== "object" || body === null || !("transaction" in body)) return undefined;
  const t = (body as { transaction: unknown }).transaction;
  return (typeof t === "string" && t.length <= 64) || typeof t === "number" ? t : undefined;
}
