import { z } from "zod";
import { durationSchema } from "./duration-schema.js";

/**
 * The `sync:` section: how the gate keeps its allowlist fresh and hands back its events
 * (docs/sync.md). The registry itself (url, token, trusted keys, poll interval) stays
 * under `registry:`; without `registry:` this section is inert.
 */
export const syncSchema = z.strictObject({
  /**
   * Allowlist age (time since the last verified sync) after which a credential holding
   * this role is denied with `allowlist_stale`. A credential with several roles gets the
   * longest budget of its roles; a role without a budget here gets `defaultStaleness`.
   */
  staleness: z.record(z.string().min(1), durationSchema).default({}),
  /** Budget of roles not named under `staleness`; absent = those roles never go stale. */
  defaultStaleness: durationSchema.optional(),
  /** Events per upload request. */
  uploadBatch: z.number().int().min(1).max(5000).default(500),
  /**
   * Journal entries the registry acknowledged are kept this long, then pruned (the hash
   * chain stays verifiable from an anchor). Entries not yet uploaded are never pruned.
   */
  keepUploaded: durationSchema.prefault("30d"),
  /** How often the journal is checked for events to upload. */
  uploadInterval: durationSchema.prefault("10s"),
  backoff: z
    .strictObject({
      /** First retry delay after a network error, 429 or 5xx; doubles up to `max`. */
      initial: durationSchema.prefault("2s"),
      max: durationSchema.prefault("10m"),
    })
    .prefault({}),
  /** One HTTP request, from its start to the last byte of its body, may take this long before it is abandoned and retried. */
  requestTimeout: durationSchema.prefault("10m"),
  /**
   * Bounds on an allowlist body the registry sends gzip-compressed (docs/sync.md), checked
   * as it is decompressed: past either one the body is refused and the allowlist in force
   * stays. A real snapshot of 10⁶ credentials is 221 MiB decompressed at a ratio of about 12.
   */
  gzip: z
    .strictObject({
      /** Largest body once decompressed, in MiB. */
      maxDecompressedMiB: z.number().int().min(1).max(65_536).default(1024),
      /** Largest ratio of decompressed to received bytes at any point of the download. */
      maxRatio: z.number().min(2).max(10_000).default(50),
    })
    .prefault({}),
});
export type SyncConfig = z.infer<typeof syncSchema>;
