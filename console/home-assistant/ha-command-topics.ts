import { z } from "zod";
import { GATE_MODES } from "../../config/schema.js";

/**
 * The console's topics that Home Assistant publishes on (docs/home-assistant.md): plain
 * payloads from HA's select and buttons, which the console checks and turns into requests
 * signed with its operator key. Nothing on them reaches a gate as it is.
 */
export function haCommandTopics(prefix: string, site: string) {
  const base = `${prefix}/${site}/console/ha`;
  return {
    /** HA's mode select: the option text (`normal`, `lockdown`, `free`). */
    modeSet: (gate: string) => `${base}/${gate}/mode/set`,
    modeSetFilter: `${base}/+/mode/set`,
    /** HA's "open once" button of one relay: `PRESS`. */
    openPress: (gate: string, relay: string) => `${base}/${gate}/open/${relay}/press`,
    openPressFilter: `${base}/+/open/+/press`,
  } as const;
}

/** A gate or relay id as the config names it (config/schema.ts): one topic level, no wildcard. */
export const localIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/);

/** What HA's select sends: one of the modes, as text. */
export const haModePayloadSchema = z.enum(GATE_MODES);

/** What HA's button sends by default (`payload_press`). */
export const haPressPayloadSchema = z.literal("PRESS");

/** A command of HA, from its topic: which gate, and which relay for an open. */
export type HaCommand =
  | { readonly kind: "mode"; readonly gate: string }
  | { readonly kind: "open"; readonly gate: string; readonly relay: string };

/** Reads a command topic; undefined when it is not one of ours or names an impossible id. */
export function parseHaCommandTopic(prefix: string, site: string, topic: string): HaCommand | undefined {
  const head = `${prefix}/${site}/console/ha/`;
  if (!topic.startsWith(head)) return undefined;
  const levels = topic.slice(head.length).split("/");
  const gate = localIdSchema.safeParse(levels[0]);
  if (!gate.success) return undefined;
  if (levels.length === 3 && levels[1] === "mode" && levels[2] === "set")
    return { kind: "mode", gate: gate.data };
  const relay = localIdSchema.safeParse(levels[2]);
  if (levels.length === 4 && levels[1] === "open" && relay.success && levels[3] === "press")
    return { kind: "open", gate: gate.data, relay: relay.data };
  return undefined;
}
