import { z } from "zod";
import {
  alarmEventSchema,
  decisionEventSchema,
  gateStateSchema,
  operatorOpenEventSchema,
} from "../../daemon/mqtt/topics.js";

/**
 * What the console reads of a gate's topics, each payload validated before anything uses
 * it (docs/mqtt.md): the gate's own schemas from daemon/mqtt/topics.ts, plus the passage
 * and relay events, which the gate publishes without a parsing schema of its own.
 */

/** A gate id or reader id as it appears in a topic level and in a lane name. */
export const gateIdSchema = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/);

export const statusSchema = z.enum(["online", "offline"]);

/**
 * The retained state, as the gate's schema reads it, except that fields a newer gate adds
 * at the top are set aside instead of dropping the whole state: the desk keeps showing what
 * it knows of a gate that was upgraded before the console.
 */
export const stateSchema = gateStateSchema.strip();
export type GateState = z.infer<typeof stateSchema>;

export const passageEventSchema = z.object({
  type: z.literal("passage"),
  at: z.number(),
  gate: z.string(),
  reader: z.string(),
  direction: z.enum(["in", "out"]),
  result: z.enum(["passed", "not_passed"]),
  decisionId: z.string().max(64).optional(),
  person: z.string().nullable().optional(),
});

const relayEventSchema = z.object({
  type: z.literal("relay"),
  at: z.number(),
  gate: z.string(),
  relay: z.string(),
  result: z.enum(["opened", "failed"]),
});

/** Every event on `<gate>/event` the console understands, by `type`. */
export const gateEventSchema = z.discriminatedUnion("type", [
  decisionEventSchema,
  passageEventSchema,
  alarmEventSchema,
  relayEventSchema,
  operatorOpenEventSchema,
]);
export type GateEvent = z.infer<typeof gateEventSchema>;

/** The three kinds of topic the console subscribes to, and the gate a topic belongs to. */
export type SiteTopicKind = "status" | "state" | "event";

/** `<prefix>/<site>/<gate>/<kind>` → gate and kind, or undefined when the gate level is no valid id. */
export function parseSiteTopic(
  topic: string,
  prefix: string,
  site: string,
): { gate: string; kind: SiteTopicKind } | undefined {
  const head = `${prefix}/${site}/`;
  if (!topic.startsWith(head)) return undefined;
  const [gate, kind, ...rest] = topic.slice(head.length).split("/");
  if (rest.length > 0 || gate === undefined || !gateIdSchema.safeParse(gate).success) return undefined;
  return kind === "status" || kind === "state" || kind === "event" ? { gate, kind } : undefined;
}
