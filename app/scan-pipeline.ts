import type { ReaderConfig } from "../config/schema.js";
import type { Actuation } from "../daemon/actuate/start-actuation.js";
import { REASON_TEXTS } from "../daemon/decide/reason-texts.js";
import type { Gate, ScanOutcome } from "../daemon/gate/gate.js";
import type { MqttConnection } from "../daemon/mqtt/mqtt-connection.js";
import type { GateTopics, ReaderFeedbackPayload } from "../daemon/mqtt/topics.js";
import type { Logger } from "../platform/log/logger.js";
import type { FeedbackResult, Scan } from "../reader-bridge/scan-source.js";
import type { GateMetrics } from "./http/gate-metrics.js";

export interface ScanPipelineDeps {
  readonly gate: Gate;
  /** A getter: a reload that changes relays replaces the actuation. */
  readonly actuation: () => Actuation;
  readonly logger: Logger;
  readonly metrics?: GateMetrics;
  /** The gate's MQTT session and topics, for the reader's display feedback. */
  readonly feedback?: { readonly connection: MqttConnection; readonly topics: GateTopics };
  readonly onDecision?: (outcome: ScanOutcome, scan: Scan) => void;
}

/**
 * What happens to each scan a reader delivers, in order: the gate decides and journals it
 * (synchronously), the decision is counted and logged (never the scan text), the relays
 * act on it, and the reader's display is told the result.
 */
export function scanPipeline(deps: ScanPipelineDeps): (reader: ReaderConfig, scan: Scan) => FeedbackResult {
  const { gate, logger, metrics, feedback } = deps;
  return (reader, scan) => {
    const outcome = gate.handleScan(scan.text, reader);
    const { decision } = outcome;
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
    deps.actuation().afterDecision(outcome, reader, scan.at);
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
