import { resolve } from "node:path";
import { z } from "zod";
import { durationSchema } from "./duration-schema.js";
import { mqttSchema, resolveMqttPaths } from "./mqtt-schema.js";
import { hidSourceSchema, serialSourceSchema, stdinSourceSchema } from "./reader-schema.js";
import { DIRECTIONS, nameSchema } from "./schema.js";

/**
 * The config of a reader bridge (`passgate bridge`, docs/bridge.md): the small process
 * beside a turnstile that reads its scanners and sends each scan to its gate as a signed
 * message. Written by `passgate bridge init`.
 */

/** The broker settings a bridge uses: the gate's own, without what only a gate does. */
const bridgeMqttSchema = mqttSchema.omit({
  passage: true,
  fireAlarm: true,
  siteShare: true,
  commandExpiry: true,
  confirmTimeout: true,
});

/** A reader wired to the bridge's board: the gate's reader sources, those a board has. */
const bridgeReaderSchema = z.strictObject({
  /** The reader's id at the gate (the gate's config has it with `source: {type: bridge}`). */
  id: nameSchema,
  /** What the gate's config says; kept here for `bridge pair` and the status. */
  direction: z.enum(DIRECTIONS),
  source: z.discriminatedUnion("type", [serialSourceSchema, hidSourceSchema, stdinSourceSchema]),
});
export type BridgeReaderConfig = z.infer<typeof bridgeReaderSchema>;

export const bridgeConfigSchema = z
  .strictObject({
    site: nameSchema,
    /** The gate this bridge feeds. */
    gate: nameSchema,
    /** This bridge's name; its member id in the site roster is `bridge:<name>`. */
    name: nameSchema,
    /** The bridge's Ed25519 private key (PEM, 0600), made by `passgate bridge init`. */
    keyFile: z.string().min(1).default("./bridge.key"),
    /**
     * The gate's public key (base64url, `passgate keys show` on the gate): the bridge plays
     * only answers this key signed. Until it is set the bridge sends scans but plays "try
     * again" for each, as for an answer that never came.
     */
    gateKey: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/, "base64url of a 32-byte Ed25519 public key")
      .optional(),
    mqtt: bridgeMqttSchema,
    readers: z.array(bridgeReaderSchema).min(1).max(16),
    /**
     * A scan is sent only within this long of its scan (the gate's `trust.bridgeFreshness`
     * refuses older ones anyway): while the broker is away fresher ones wait, older ones are
     * dropped and counted, never sent.
     */
    freshness: durationSchema.prefault("2s"),
    /** No answer from the gate within this long: the reader plays "denied, try again". */
    answerTimeout: durationSchema.prefault("1500ms"),
    log: z
      .strictObject({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info") })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.readers.forEach((r, i) => {
      if (seen.has(r.id))
        ctx.addIssue({
          code: "custom",
          message: `duplicate reader id "${r.id}"`,
          path: ["readers", i, "id"],
        });
      seen.add(r.id);
      if (r.source.type === "stdin" && c.readers.findIndex((x) => x.source.type === "stdin") < i)
        ctx.addIssue({
          code: "custom",
          message: "only one reader can read stdin",
          path: ["readers", i, "source", "type"],
        });
    });
  });
export type BridgeConfig = z.infer<typeof bridgeConfigSchema>;

/** The member id of a bridge in the site roster. */
export function bridgeMemberId(config: Pick<BridgeConfig, "name">): string {
  return `bridge:${config.name}`;
}

/** The bridge config's file paths (key, password, TLS files) anchored at its directory. */
export function resolveBridgePaths(config: BridgeConfig, dir: string): BridgeConfig {
  const at = (path: string) => resolve(dir, path);
  return { ...config, keyFile: at(config.keyFile), mqtt: resolveMqttPaths(config.mqtt, at) };
}
