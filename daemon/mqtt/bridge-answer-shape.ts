import type { BridgeAnswer } from "./topics.js";

/**
 * The body of a gate's answer to a bridged scan checked by hand: the same answers as
 * `bridgeAnswerSchema.safeParse(body).success` (its definition, and the oracle of
 * bridge-answer-shape.test.ts). Why: it runs once a scan on the bridge, whose node runs
 * without V8's optimising compiler to stay small (scripts/passgate-bridge.service), where
 * the schema's parse measured 25–45 µs at the median against about 2 µs here.
 */
export function readBridgeAnswer(body: Record<string, unknown>): BridgeAnswer | undefined {
  if (!hasOnly(body, ANSWER_FIELDS)) return undefined;
  const { reader, seq, result, reason, text } = body;
  if (typeof reader !== "string" || reader.length < 1 || reader.length > 64) return undefined;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  if (result !== "granted" && result !== "denied") return undefined;
  if (typeof reason !== "string" || reason.length > 64) return undefined;
  if (typeof text !== "object" || text === null || !hasOnly(text, TEXT_FIELDS)) return undefined;
  const { en, ru } = text as Record<string, unknown>;
  if (typeof en !== "string" || en.length > 120 || typeof ru !== "string" || ru.length > 120)
    return undefined;
  return { reader, seq, result, reason, text: { en, ru } };
}

const ANSWER_FIELDS = ["reader", "seq", "result", "reason", "text"] as const;
const TEXT_FIELDS = ["en", "ru"] as const;

/** A plain object with exactly `fields` (as zod's strictObject: none missing, none unknown). */
function hasOnly(value: object, fields: readonly string[]): boolean {
  if (Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const keys = Object.keys(value);
  return keys.length === fields.length && keys.every((k) => fields.includes(k));
}
