import { hasExactlyFields } from "../../platform/json/plain-object.js";
import type { BridgeAnswer } from "./topics.js";

/**
 * The body of a gate's answer to a bridged scan checked by hand: the same answers as
 * `bridgeAnswerSchema.safeParse(body).success` (its definition, and the oracle of
 * bridge-answer-shape.test.ts). Why: it runs once a scan on the bridge, whose node runs
 * without V8's optimising compiler to stay small (scripts/passgate-bridge.service), where
 * the schema's parse measured 25–45 µs at the median against about 2 µs here.
 */
export function readBridgeAnswer(body: Record<string, unknown>): BridgeAnswer | undefined {
  if (!hasExactlyFields(body, ANSWER_FIELDS)) return undefined;
  const { reader, seq, result, reason, text } = body;
  if (typeof reader !== "string" || reader.length < 1 || reader.length > 64) return undefined;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  if (result !== "granted" && result !== "denied") return undefined;
  if (typeof reason !== "string" || reason.length > 64) return undefined;
  if (!hasExactlyFields(text, TEXT_FIELDS)) return undefined;
  const { en, ru } = text;
  if (typeof en !== "string" || en.length > 120 || typeof ru !== "string" || ru.length > 120)
    return undefined;
  return { reader, seq, result, reason, text: { en, ru } };
}

const ANSWER_FIELDS = ["reader", "seq", "result", "reason", "text"] as const;
const TEXT_FIELDS = ["en", "ru"] as const;
