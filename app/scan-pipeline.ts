import type { ReaderConfig } from "../config/schema.js";
import type { PulseResult } from "../daemon/actuate/relay-set.js";
import { REASON_TEXTS } from "../daemon/decide/reason-texts.js";
import type { Gate, ScanOutcome } from "../daemon/gate/gate.js";
import type { GateMqtt } from "../daemon/mqtt/gate-mqtt.js";
import type { MqttConnection } from "../daemon/mqtt/mqtt-connection.js";
import type { BridgeAnswer, GateTopics, ReaderFeedbackPayload } from "../daemon/mqtt/topics.js";
import type { Clock } from "../platform/clock.js";
import type { Logger } from "../platform/log/logger.js";
import type { FeedbackResult, Scan } from "../reader-bridge/scan-source.js";
import type { GateMetrics } from "./http/gate-metrics.js";

export interface ScanPipelineDeps {
  readonly gate: Gate;
  /** Pulses a reader's relays for a grant unless the scan is over 2 s old (components/relays.ts); never throws. */
  readonly relays: {
    openForGrant(
      readerId: string,
      decisionId: string,
      scannedAt: number,
      report: (r: PulseResult) => void,
    ): void;
  };
  /** Where decisions and relay results are published; absent without `mqtt:`. */
  readonly events: GateMqtt | undefined;
  /** What a grant becomes afterwards: a sensed or assumed passage, shared with the site (components/inputs.ts). */
  readonly inputs: { granted(outcome: ScanOutcome, reader: ReaderConfig): void };
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: GateMetrics | undefined;
  /**
   * The gate's MQTT session and topics, for the reader's display feedback; `sign` makes the
   * signed answer to a reader bridge's scan (undefined without a key: the bridge then times
   * out and plays "try again").
   */
  readonly feedback?:
    | {
        readonly connection: MqttConnection;
        readonly topics: GateTopics;
        readonly sign?: (topic: string, body: Record<string, unknown>) => string | undefined;
      }
    | undefined;
  readonly onDecision?: ((outcome: ScanOutcome, scan: Scan) => void) | undefined;
}

/**
 * What happens to each scan a reader delivers, in order: the gate decides and journals it
 * (synchronously), the relays open on a grant (one that fails is journaled as
 * `not_opened`, linked to the decision), a reader bridge is answered, the decision is
 * counted and logged (never the scan text) and published, the grant is followed (passage,
 * site), and the reader's display is told the result. The person waits at the arm (and, at
 * a bridged lane, for the beep): what they wait for goes out before the rest.
 */
export function scanPipeline(deps: ScanPipelineDeps): (reader: ReaderConfig, scan: Scan) => FeedbackResult {
  const { gate, logger, metrics, feedback, events } = deps;
  return (reader, scan) => {
    const outcome = gate.handleScan(
      scan.text,
      reader,
      scan.bridge === undefined ? undefined : { ...scan.bridge, scannedAt: scan.at },
    );
    const { decision } = outcome;
    const granted = decision.result === "granted";
    const entry = outcome.entry;
    if (granted && entry !== undefined) {
      deps.relays.openForGrant(reader.id, entry.id, scan.at, (r) => {
        // A grant whose arm never opened is no passage: the journal and the upload say so.
        if (r.result === "failed") gate.recordNotOpened(entry, r);
        events?.publishRelay({
          at: deps.clock.now(),
          relay: r.relay,
          decisionId: r.decisionId,
          result: r.result,
          error: r.error,
        });
      });
    }
    if (feedback !== undefined && scan.bridge !== undefined) {
      // The bridge plays only answers this gate signed, matched by its scan's number.
      const topic = feedback.topics.readerAnswer(reader.id);
      const answer: BridgeAnswer = {
        reader: reader.id,
        seq: scan.bridge.seq,
        result: decision.result,
        reason: decision.reason,
        text: REASON_TEXTS[decision.reason],
      };
      const signed = feedback.sign?.(topic, { ...answer });
      if (signed !== undefined)
        feedback.connection.publish(topic, signed, { properties: { messageExpiryInterval: 5 } });
    }
    // The open command and the answer go on the wire now, in one write, before the logging
    // and events below: the person is waiting at the arm and for the beep.
    feedback?.connection.flush();
    metrics?.decision(decision.result, decision.reason, reader.id, outcome.micros);
    logger.info(
      {
        component: "decision",
        seq: outcome.entry?.seq,
        reader: reader.id,
        credential: outcome.credential,
        result: decision.result,
        reason: decision.reason,
        flags: decision.flags.length > 0 ? decision.flags : undefined,
        micros: Math.round(outcome.micros),
      },
      `${decision.result} ${decision.reason}`,
    );
    events?.publishDecision(outcome, reader, scan.at);
    if (granted) deps.inputs.granted(outcome, reader);
    if (feedback !== undefined) {
      const payload: ReaderFeedbackPayload = {
        reader: reader.id,
        result: decision.result,
        reason: decision.reason,
        text: REASON_TEXTS[decision.reason],
        at: scan.at,
      };
      // A display shows it now or never: expire it rather than show it to the next person.
      feedback.connection.publish(feedback.topics.readerFeedback(reader.id), JSON.stringify(payload), {
        properties: { messageExpiryInterval: 5 },
      });
    }
    deps.onDecision?.(outcome, scan);
    return decision.result;
  };
}
