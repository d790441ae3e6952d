import { createReadStream, createWriteStream, statSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { SqliteAllowlistStore } from "../daemon/allowlist/sqlite-allowlist-store.js";
import { systemClock } from "../platform/clock.js";
import { openDatabase } from "../platform/database/database.js";
import { createLogger } from "../platform/log/logger.js";
import type { RegistryServer, SentBody } from "../sim/registry/registry-server.js";
import { HttpRegistryClient } from "../sync/http-registry-client.js";
import { RegistrySync, type RegistrySyncSettings } from "../sync/registry-sync.js";
import { SyncStateStore } from "../sync/sync-state.js";

export interface GzipSnapshotRun {
  readonly ms: number;
  /** Body bytes the registry sent, compressed. */
  readonly wireBytes: number;
  /** The same body decompressed (the file's size). */
  readonly bodyBytes: number;
  /** Seconds the registry-side compression took, once, before the run (not in `ms`). */
  readonly compressSeconds: number;
  /** Decompressing the same file alone, in ms, in the same run: what gzip itself adds to a gate. */
  readonly gunzipMs: number;
}

/**
 * The snapshot `body` pulled by a fresh gate that asks for gzip, from `server` serving a
 * copy compressed beforehand (gzip level 6, as a registry would cache it; written to `dir`,
 * not timed), into a database of its own: fetched, decompressed within the default bounds,
 * verified and applied, like the plain run it is compared with.
 */
export async function benchGzipSnapshot(
  server: RegistryServer,
  settings: RegistrySyncSettings,
  body: string,
  dir: string,
  log: (m: string) => void,
): Promise<GzipSnapshotRun> {
  const gzipFile = join(dir, "snapshot.ndjson.gz");
  log("bench: compressing the snapshot once, as a registry would cache it…");
  const c0 = performance.now();
  await pipeline(createReadStream(body), createGzip(), createWriteStream(gzipFile));
  const compressSeconds = (performance.now() - c0) / 1000;

  const db = openDatabase(join(dir, "gzip.db"));
  try {
    const sync = new RegistrySync(settings, {
      client: new HttpRegistryClient({ url: settings.registry, site: settings.site, token: "bench" }),
      store: SqliteAllowlistStore.open(db),
      state: SyncStateStore.open(db),
      clock: systemClock,
      logger: createLogger({ level: "silent" }),
    });
    log("bench: sync snapshot over HTTP with gzip…");
    const sentBefore = server.sentBodies.length;
    server.nextAllowlist({ status: 200, file: body, gzipFile });
    const t0 = performance.now();
    const outcome = await sync.pullOnce();
    const ms = performance.now() - t0;
    if (outcome.kind !== "applied")
      throw new Error(`bench gzip snapshot not applied: ${JSON.stringify(outcome)}`);
    const sent = await sentBody(server, sentBefore);
    if (sent.encoding !== "gzip")
      throw new Error("the bench registry did not send the snapshot gzip-compressed");
    const g0 = performance.now();
    await pipeline(
      createReadStream(gzipFile),
      createGunzip({ chunkSize: 64 * 1024 }),
      new Writable({ write: (_chunk, _encoding, done) => done() }),
    );
    const gunzipMs = performance.now() - g0;
    return { ms, wireBytes: sent.bytes, bodyBytes: statSync(body).size, compressSeconds, gunzipMs };
  } finally {
    db.close();
  }
}

/**
 * The `index`th body the registry sent, once it is listed: the server sees its last byte
 * leave a moment after the gate (in the same process) may have applied it. Waits up to 5 s.
 */
export async function sentBody(server: RegistryServer, index: number): Promise<SentBody> {
  for (let waited = 0; waited < 5000; waited += 10) {
    const sent = server.sentBodies[index];
    if (sent !== undefined) return sent;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the bench registry never finished sending the snapshot");
}
