import type { ReaderConfig } from "../config/schema.js";
import type { AllowlistStats } from "../daemon/allowlist/allowlist-store.js";
import type { BridgeView } from "../daemon/bridge/bridge-watch.js";
import type { GateStatePayload } from "../daemon/mqtt/topics.js";
import type { ReaderSet } from "../reader-bridge/reader-set.js";
import { readerState } from "./http/observed-gate.js";

/**
 * What a guard's desk shows of a gate beyond its mode and relays, read from the running
 * components through getters (a reload replaces the reader set; the clock watch starts later).
 */
export interface DeskSources {
  readers(): ReaderSet | undefined;
  bridges(): readonly BridgeView[];
  allowlist(): AllowlistStats;
  /** Epoch ms of the last pull the registry answered, with a registry. */
  lastSyncAt(): number | undefined;
  /** Whether the clock is NTP-synchronised; undefined where the gate cannot tell. */
  clockSynced(): boolean | undefined;
}

export type DeskFields = Pick<GateStatePayload, "readers" | "allowlist" | "clock">;

/**
 * The retained state's `readers`, `allowlist` and `clock` (docs/mqtt.md). A local reader is
 * connected as `/status` says (its source runs and its device last said connected); a
 * bridged one also needs a paired bridge that serves it to be online. `syncedAt` is the
 * later of the body's commit and the last pull the registry answered; `appliedAt` is the
 * body's commit alone (when the version in force, and any revocation in it, took effect). An allowlist never
 * synced has no version yet: then `allowlist` is left out, as `clock` is where the gate
 * cannot tell.
 */
export function deskFields(readers: readonly ReaderConfig[], sources: DeskSources): DeskFields {
  const set = sources.readers();
  const bridges = sources.bridges();
  const stats = sources.allowlist();
  // A "not modified" answer is a successful sync too, though it commits no new body.
  const syncedAt = Math.max(stats.syncedAt ?? 0, sources.lastSyncAt() ?? 0);
  const synced = sources.clockSynced();
  return {
    readers: readers.map((r) => {
      const running = readerState(set, r.id) === "connected";
      const fed =
        r.source.type !== "bridge" ||
        bridges.some((b) => b.paired && b.status === "online" && b.readers.includes(r.id));
      return { id: r.id, direction: r.direction, connected: running && fed };
    }),
    ...(stats.version === null
      ? {}
      : {
          allowlist: {
            version: stats.version,
            ...(syncedAt === 0 ? {} : { syncedAt }),
            ...(stats.syncedAt === null ? {} : { appliedAt: stats.syncedAt }),
          },
        }),
    ...(synced === undefined ? {} : { clock: { synced } }),
  };
}

/**
 * What of the desk fields makes the state worth publishing again: a reader connecting or
 * going, a new allowlist version, the clock's sync changing (not the sync time alone).
 */
export function deskKey(fields: DeskFields): string {
  return JSON.stringify([fields.readers, fields.allowlist?.version, fields.clock]);
}
