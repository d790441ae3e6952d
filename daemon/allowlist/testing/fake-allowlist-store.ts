import {
  type AllowlistBodyKind,
  AllowlistChangedError,
  type AllowlistStaging,
  type AllowlistStats,
  type AllowlistUpdateMeta,
  type WritableAllowlistStore,
} from "../allowlist-store.js";
import type { Credential } from "../credential.js";

/**
 * An in-memory allowlist for tests of other components. State is per instance. `put`,
 * `delete` and `setStats` change it directly; `stage` behaves like the SQLite store, so
 * the apply contract tests run against both.
 */
export class FakeAllowlistStore implements WritableAllowlistStore {
  private credentials = new Map<string, Credential>();
  private meta: Omit<AllowlistStats, "count"> = { site: null, version: null, issuedAt: null, syncedAt: null };
  private countOverride: number | undefined;

  constructor(credentials: Iterable<Credential> = []) {
    for (const credential of credentials) this.put(credential);
  }

  get(id: string): Credential | undefined {
    const credential = this.credentials.get(id);
    return credential === undefined ? undefined : structuredClone(credential);
  }

  stats(): AllowlistStats {
    return { ...this.meta, count: this.countOverride ?? this.credentials.size };
  }

  put(credential: Credential): void {
    this.credentials.set(credential.id, structuredClone(credential));
  }

  delete(id: string): boolean {
    return this.credentials.delete(id);
  }

  /** Sets the meta a test needs; `count` overrides the real number of credentials until set to undefined. */
  setStats(stats: Partial<AllowlistStats>): void {
    const { count, ...meta } = stats;
    this.meta = { ...this.meta, ...meta };
    if ("count" in stats) this.countOverride = count;
  }

  /** Nothing to clear: a replaced map is garbage as soon as the switch drops it. */
  clearRetired(_now: number): boolean {
    return false;
  }

  stage(kind: AllowlistBodyKind, _now: number): AllowlistStaging {
    const base = { site: this.meta.site, version: this.meta.version };
    const next = kind === "snapshot" ? new Map<string, Credential>() : new Map(this.credentials);
    let open = true;
    return {
      put: (credential) => {
        if (open) next.set(credential.id, structuredClone(credential));
      },
      del: (id) => {
        if (open) next.delete(id);
      },
      commit: (meta: AllowlistUpdateMeta) => {
        if (!open) throw new Error("this staged update was already committed or discarded");
        if (this.meta.site !== base.site || this.meta.version !== base.version) {
          throw new AllowlistChangedError(base, { site: this.meta.site, version: this.meta.version });
        }
        open = false;
        this.credentials = next;
        this.meta = {
          site: meta.site,
          version: meta.version,
          issuedAt: meta.issuedAt,
          syncedAt: meta.syncedAt,
        };
        this.countOverride = undefined;
        return next.size;
      },
      discard: () => {
        open = false;
      },
    };
  }
}
