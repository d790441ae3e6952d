import { z } from "zod";

/**
 * The JSON of `GET /status` on the gate's HTTP endpoint, which `passgate status` reads.
 * Times are ISO 8601 strings; ages and uptime in whole seconds.
 */
export const gateStatusSchema = z.strictObject({
  site: z.string(),
  gate: z.string(),
  version: z.string(),
  startedAt: z.iso.datetime(),
  uptimeSeconds: z.number().int().min(0),
  mode: z.enum(["normal", "lockdown", "free"]),
  broker: z.strictObject({ configured: z.boolean(), connected: z.boolean() }),
  readers: z.array(
    z.strictObject({
      id: z.string(),
      direction: z.enum(["in", "out"]),
      state: z.enum(["connected", "disconnected", "stopped"]),
      scans: z.number().int().min(0),
      rejected: z.number().int().min(0),
    }),
  ),
  relays: z.array(z.strictObject({ id: z.string(), reader: z.string(), available: z.boolean() })),
  allowlist: z.strictObject({
    version: z.number().int().nullable(),
    count: z.number().int().min(0),
    ageSeconds: z.number().int().min(0).nullable(),
  }),
  sync: z.strictObject({
    configured: z.boolean(),
    lastSuccessAt: z.iso.datetime().nullable(),
    lastError: z.string().nullable(),
    backlog: z.number().int().min(0),
  }),
  decisions: z.strictObject({ granted: z.number().int().min(0), denied: z.number().int().min(0) }),
  /** The reader bridges of this gate (docs/bridge.md): paired or not, and what they last said. */
  bridges: z
    .array(
      z.strictObject({
        id: z.string(),
        paired: z.boolean(),
        status: z.enum(["online", "offline", "unknown"]),
        lastScanAt: z.iso.datetime().nullable(),
      }),
    )
    .default([]),
});
export type GateStatus = z.infer<typeof gateStatusSchema>;
