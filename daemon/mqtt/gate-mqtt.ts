import type { GateMode } from "../../config/schema.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { ScanOutcome } from "../gate/gate.js";
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

/** What the gate does for each request; the result becomes the response's `data`. */
export interface GateRequestHandlers {
  mode(mode: GateMode): Record<string, unknown>;
  pulse(relay: string, ms?: number): Promise<Record<string, unknown>>;
  status(): Record<string, unknown>;
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
    const form = command === "status" && payload.length === 0 ? "text" : "json";
    const parsed = parsePayload(payload, form, requestSchemas[command]);
    if ("dropped" in parsed) {
      this.connection.drop(parsed.dropped, `request-${command}`);
      this.respond(command, { status: "error", data: {}, error: `invalid ${command} request` });
      return;
    }
    const body = parsed.ok as
      | { transaction?: string | number; mode?: GateMode; relay?: string; ms?: number }
      | "";
    const transaction = body === "" ? undefined : body.transaction;
    void this.run(command, body === "" ? {} : body).then(
      (data) => this.respond(command, { status: "ok", data, transaction }),
      (err: unknown) => {
        this.deps.logger.warn({ command, err: describeError(err) }, "request failed");
        const error = err instanceof RequestError ? err.message : "request failed";
        this.respond(command, { status: "error", data: {}, error, transaction });
      },
    );
  }

  private async run(
    command: GateCommand,
    body: { mode?: GateMode; relay?: string; ms?: number },
  ): Promise<Record<string, unknown>> {
    const { handlers } = this.deps;
    if (command === "mode" && body.mode !== undefined) return handlers.mode(body.mode);
    if (command === "pulse" && body.relay !== undefined) return handlers.pulse(body.relay, body.ms);
    return handlers.status();
  }

  private respond(command: GateCommand, response: ResponsePayload): void {
    this.connection.publish(this.topics.response(command), JSON.stringify(response), { qos: 1 });
  }
}
