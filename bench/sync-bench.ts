import { createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { SqliteAllowlistStore } from "../daemon/allowlist/sqlite-allowlist-store.js";
import { systemClock } from "../platform/clock.js";
import { type Db, openDatabase } from "../platform/database/database.js";
import { WalCheckpointer } from "../platform/database/wal-checkpointer.js";
import { createLogger } from "../platform/log/logger.js";
import { RegistryServer } from "../sim/registry/registry-server.js";
import { type AllowlistRecord, signedAllowlistLines } from "../sim/registry/signed-allowlist.js";
import { HttpRegistryClient } from "../sync/http-registry-client.js";
import { RegistrySync, type RegistrySyncSettings } from "../sync/registry-sync.js";
import { SyncStateStore } from "../sync/sync-state.js";
import { BENCH_REGISTRY_KEY_ID, benchRecords, benchRegistryKey } from "./bench-population.js";
import { type BenchResult, percentile } from "./bench-result.js";
import { gateNodeFlags, runBenchChild } from "./child-process.js";
import { type MemoryPeaks, mb, sampleProcessMemory, watchEventLoop } from "./process-memory.js";
import { benchGzipSnapshot, sentBody } from "./sync-gzip-bench.js";

const SITE = "bench-campus";
const KEY = { keyId: BENCH_REGISTRY_KEY_ID, privateKey: benchRegistryKey.privateKey };

/**
 * Registry sync over real HTTP on loopback, each against a floor in the same run:
 * - `sync_snapshot`: a full snapshot of `count` credentials fetched, verified and applied
 *   (seconds; peak memory of the process by kind; the longest the event loop was held) vs inserting the same rows (id, credential JSON) with better-sqlite3 in
 *   one transaction and indexing them;
 * - `sync_snapshot_gzip`: the same snapshot sent gzip-compressed to a gate that asks for it,
 *   against the same floor, with the bytes on the wire either way;
 * - `sync_delta`: a delta of `deltaSize` puts vs upserting them in one transaction;
 * - `sync_revocation`: registry change → pull (as on a push) → the credential reads revoked,
 *   vs a 304 round trip.
 */
export async function benchSync(
  cacheDir: string,
  count: number,
  deltaSize: number,
  log: (m: string) => void,
): Promise<BenchResult[]> {
  const body = await cachedSnapshot(cacheDir, count, log);
  const dir = mkdtempSync(join(tmpdir(), "passgate-sync-bench-"));
  const server = new RegistryServer({ site: SITE, token: "bench", ...KEY });
  const url = await server.start();
  // The plain lines measure the body as it is; sync_snapshot_gzip turns gzip on for its run.
  server.serveGzip = false;
  try {
    log(`bench: sync snapshot of ${count} over HTTP, in a gate process of its own…`);
    server.nextAllowlist({ status: 200, file: body });
    const gatePath = join(dir, "gate.db");
    const applied = (await runBenchChild("snapshot", { url, dbPath: gatePath }, log)) as SnapshotApplied;
    const snapshotMs = applied.ms;
    const wireBytes = (await sentBody(server, 0)).bytes;
    log(`bench: applied in ${Math.round(snapshotMs)} ms: ${JSON.stringify(applied)}`);

    log("bench: floor, inserting the same rows in one transaction…");
    const floorDb = openDatabase(join(dir, "floor.db"));
    const f0 = performance.now();
    floorInsert(floorDb, benchRecords(count), true);
    const floorMs = performance.now() - f0;
    server.serveGzip = true;
    const gzip = await benchGzipSnapshot(server, benchSyncSettings(url), body, dir, log);
    server.serveGzip = false;
    const delta = deltaRecords(count, deltaSize);

    // The delta and revocations on the database the child left, from this process.
    const db = openDatabase(gatePath);
    const store = SqliteAllowlistStore.open(db);
    const sync = benchRegistrySync(url, db, store);

    log(`bench: sync delta of ${deltaSize}…`);
    server.nextAllowlist({
      status: 200,
      lines: [...signedAllowlistLines(header("delta", 1, 2, delta.length), delta, KEY)],
    });
    const d0 = performance.now();
    const deltaOutcome = await sync.pullOnce();
    const deltaMs = performance.now() - d0;
    if (deltaOutcome.kind !== "applied")
      throw new Error(`bench delta not applied: ${JSON.stringify(deltaOutcome)}`);
    const fd0 = performance.now();
    floorInsert(floorDb, delta, false);
    const floorDeltaMs = performance.now() - fd0;

    log("bench: revocation latency…");
    const revoke: number[] = [];
    const roundTrip: number[] = [];
    let version = 2;
    for (let i = 0; i < 30; i++) {
      const id = 1 + 2 * i;
      const record = revoked(id);
      server.nextAllowlist({
        status: 200,
        lines: [...signedAllowlistLines(header("delta", version, version + 1, 1), [record], KEY)],
      });
      version++;
      const r0 = performance.now();
      const pulled = await sync.pullOnce();
      if (store.get(String(id))?.status !== "revoked")
        throw new Error(`revocation not applied: ${JSON.stringify(pulled)}`);
      revoke.push((performance.now() - r0) * 1000);
      server.nextAllowlist({ status: 304 });
      const n0 = performance.now();
      await sync.pullOnce();
      roundTrip.push((performance.now() - n0) * 1000);
    }
    db.close();
    floorDb.close();

    const us = (ms: number) => Math.round(ms * 1000);
    return [
      {
        name: "sync_snapshot",
        n: 1,
        p50_us: us(snapshotMs),
        p99_us: us(snapshotMs),
        floor_p50_us: us(floorMs),
        floor_p99_us: us(floorMs),
        ratio: snapshotMs / floorMs,
        credentials: count,
        seconds: round(snapshotMs / 1000),
        floor_seconds: round(floorMs / 1000),
        peak_rss_mb: mb(applied.peaks.rss),
        peak_rss_anon_mb: mb(applied.peaks.anon),
        peak_rss_file_mb: mb(applied.peaks.file),
        peak_rss_shmem_mb: mb(applied.peaks.shmem),
        rss_before_mb: mb(applied.peaks.before.rss),
        rss_anon_before_mb: mb(applied.peaks.before.anon),
        peak_heap_mb: mb(applied.heap),
        max_event_loop_block_ms: applied.blockMs,
        max_gc_pause_ms: applied.gcMs,
        gate_node_flags: gateNodeFlags(),
        wire_bytes: wireBytes,
        target: "peak_rss_anon_mb <= 150, max_event_loop_block_ms < 5, ratio <= 1.5",
      },
      {
        name: "sync_snapshot_gzip",
        n: 1,
        p50_us: us(gzip.ms),
        p99_us: us(gzip.ms),
        floor_p50_us: us(floorMs),
        floor_p99_us: us(floorMs),
        ratio: gzip.ms / floorMs,
        credentials: count,
        seconds: round(gzip.ms / 1000),
        floor_seconds: round(floorMs / 1000),
        wire_bytes: wireBytes,
        wire_bytes_gzip: gzip.wireBytes,
        expansion: round(gzip.bodyBytes / gzip.wireBytes),
        compress_seconds: round(gzip.compressSeconds),
        gunzip_seconds: round(gzip.gunzipMs / 1000),
        note: "the same snapshot gzip-compressed (level 6, compressed once beforehand as a registry would cache it), decompressed within sync.gzip's default bounds; floor: the raw insert of sync_snapshot",
      },
      {
        name: "sync_delta",
        n: 1,
        p50_us: us(deltaMs),
        p99_us: us(deltaMs),
        floor_p50_us: us(floorDeltaMs),
        floor_p99_us: us(floorDeltaMs),
        ratio: deltaMs / floorDeltaMs,
        changes: deltaSize,
      },
      {
        name: "sync_revocation",
        n: revoke.length,
        p50_us: percentile(revoke, 0.5),
        p99_us: percentile(revoke, 0.99),
        floor_p50_us: percentile(roundTrip, 0.5),
        floor_p99_us: percentile(roundTrip, 0.99),
        ratio: percentile(revoke, 0.99) / percentile(roundTrip, 0.99),
        note: "registry change to revoked in the store, pull started as on a push (MQTT not included); floor: a 304 round trip",
      },
    ];
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the gate process of `applySnapshotFrom` measured. Times in ms, memory in bytes. */
interface SnapshotApplied {
  readonly ms: number;
  readonly blockMs: number;
  /** The longest garbage-collection pause meanwhile. */
  readonly gcMs: number;
  readonly peaks: MemoryPeaks;
  readonly heap: number;
}

/** The sync of a bench gate with `store` on `db`, pulling from the bench registry at `url`. */
function benchSyncSettings(url: string): RegistrySyncSettings {
  return {
    registry: url,
    site: SITE,
    trustedKeys: { [BENCH_REGISTRY_KEY_ID]: benchRegistryKey.publicKey },
    pollInterval: 3_600_000,
    backoff: { initial: 1000, max: 60_000 },
    uploadInterval: 3_600_000,
    fingerprint: "bench",
  };
}

/** `retired`: the daemon's paced clearing of replaced allowlists; absent, each apply clears them itself. */
export function benchRegistrySync(
  url: string,
  db: Db,
  store: SqliteAllowlistStore,
  retired?: { wake(): void },
): RegistrySync {
  return new RegistrySync(benchSyncSettings(url), {
    client: new HttpRegistryClient({ url, site: SITE, token: "bench" }),
    store,
    state: SyncStateStore.open(db),
    clock: systemClock,
    logger: createLogger({ level: "silent" }),
    ...(retired === undefined ? {} : { retired }),
  });
}

/**
 * The gate side of `sync_snapshot`, run in its own process (bench/bench-child.ts): a new
 * gate database at `dbPath` with WAL checkpoints in their thread as in the daemon, one pull
 * of the snapshot the registry at `url` serves, timed, with the process's memory and the
 * event loop watched throughout.
 */
export async function applySnapshotFrom(url: string, dbPath: string): Promise<SnapshotApplied> {
  const db = openDatabase(dbPath);
  db.pragma("wal_autocheckpoint = 0");
  const checkpointer = new WalCheckpointer(dbPath, (m) => process.stderr.write(`checkpoint: ${m}\n`), 1000);
  checkpointer.start();
  try {
    const store = SqliteAllowlistStore.open(db);
    const sync = benchRegistrySync(url, db, store);
    const heap = heapSampler();
    const memory = await sampleProcessMemory();
    const loop = watchEventLoop();
    const t0 = performance.now();
    const outcome = await sync.pullOnce();
    const ms = performance.now() - t0;
    const { blockMs, gcMs } = loop.stop();
    const peaks = await memory.stop();
    const peakHeap = heap.stop();
    if (outcome.kind !== "applied") throw new Error(`bench snapshot not applied: ${JSON.stringify(outcome)}`);
    return { ms, blockMs, gcMs, peaks, heap: peakHeap };
  } finally {
    await checkpointer.stop();
    db.close();
  }
}

function header(kind: "snapshot" | "delta", from: number | null, to: number, count: number) {
  return { site: SITE, kind, from, to, issuedAt: new Date().toISOString(), count };
}

/** The signed snapshot body of `count` credentials, written once to the cache. */
export async function cachedSnapshot(
  cacheDir: string,
  count: number,
  log: (m: string) => void,
): Promise<string> {
  const path = join(cacheDir, `sync-snapshot-${count}-v1.ndjson`);
  if (existsSync(path)) return path;
  mkdirSync(cacheDir, { recursive: true });
  log(`writing a signed ${count}-credential snapshot once (cached in ${cacheDir})…`);
  await pipeline(
    signedAllowlistLines(header("snapshot", null, 1, count), benchRecords(count), KEY),
    createWriteStream(`${path}.part`),
  );
  renameSync(`${path}.part`, path);
  return path;
}

/** `size` changes spread over the population: every other one a new role. */
function deltaRecords(count: number, size: number): AllowlistRecord[] {
  const step = Math.max(1, Math.floor(count / size));
  const out: AllowlistRecord[] = [];
  let i = 0;
  for (const record of benchRecords(count)) {
    if (i++ % step !== 0 || out.length >= size || record.type !== "put") continue;
    out.push({ type: "put", credential: { ...record.credential, roles: ["staff"] } });
  }
  return out;
}

function revoked(id: number): AllowlistRecord {
  for (const record of benchRecords(id)) {
    if (record.type === "put" && (record.credential as { id: string }).id === String(id))
      return { type: "put", credential: { ...record.credential, status: "revoked" } };
  }
  throw new Error(`no bench credential ${id}`);
}

/** The floor: the same rows (id, credential JSON) into a plain table in one transaction. */
function floorInsert(db: Db, records: Iterable<AllowlistRecord>, fresh: boolean): void {
  if (fresh) db.exec("CREATE TABLE floor (id TEXT NOT NULL, body TEXT) STRICT");
  const insert = db.prepare(
    fresh
      ? "INSERT INTO floor (id, body) VALUES (?, ?)"
      : "INSERT INTO floor (id, body) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body",
  );
  db.transaction(() => {
    for (const r of records) {
      if (r.type !== "put") continue;
      const credential = r.credential as { id: string };
      insert.run(credential.id, JSON.stringify(credential));
    }
  })();
  if (fresh) db.exec("CREATE UNIQUE INDEX floor_id ON floor (id)");
}

/** Samples every 20 ms; `stop` gives the peak of JS heap plus buffers (what holding the body would grow). */
function heapSampler(): { stop(): number } {
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    heap = Math.max(heap, m.heapUsed + m.arrayBuffers);
  };
  const timer = setInterval(sample, 20);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return heap;
    },
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
