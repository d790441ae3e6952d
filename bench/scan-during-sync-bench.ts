import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import { RetiredAllowlistClearing } from "../daemon/allowlist/retired-clearing.js";
import { encodeEd25519Token } from "../daemon/verify/pg1-encoder.js";
import { FakeClock } from "../platform/testing/fake-clock.js";
import { RegistryServer } from "../sim/registry/registry-server.js";
import { BENCH_REGISTRY_KEY_ID, benchPhoneKey, benchRegistryKey, benchScheme } from "./bench-population.js";
import { type BenchResult, percentile } from "./bench-result.js";
import { gateNodeFlags, runBenchChild } from "./child-process.js";
import { mb, sampleProcessMemory, watchEventLoop } from "./process-memory.js";
import { BASE_MS, gateOver, openBenchGateDatabase, random, SITE } from "./scan-path-bench.js";
import { benchRegistrySync, cachedSnapshot } from "./sync-bench.js";

/** Time between two scans' arrivals, ms: 50 scans a second, a busy gate of many lanes. */
const PERIOD_MS = 20;
/** How long the same gate is timed without a sync first, for the floor, ms. */
const FLOOR_MS = 4_000;

/**
 * `scan_to_journal_during_sync`: Ed25519 scans arriving every PERIOD_MS at a gate with
 * `count` credentials (the cached store, on a copy, with WAL checkpoints in their thread as
 * in the daemon), each timed from its arrival (its place in the schedule, not when the event
 * loop got to it: a blocked loop counts in full) to its committed journal entry, while the
 * same gate pulls and applies a signed snapshot of `count` credentials from the simulated
 * registry over loopback HTTP, switch included. Floor: the same schedule on the same gate for
 * FLOOR_MS just before, with no sync. Every scan must be granted (the snapshot holds the same
 * people), so the whole decision path runs each time. The gate runs in a process of its own
 * (bench/child-process.ts: plain node, as `passgate run`), so its memory is its own; the
 * registry runs here.
 */
export async function benchScanDuringSync(
  storePath: string,
  cacheDir: string,
  count: number,
  log: (m: string) => void,
): Promise<BenchResult> {
  const body = await cachedSnapshot(cacheDir, count, log);
  const server = new RegistryServer({
    site: SITE,
    token: "bench",
    keyId: BENCH_REGISTRY_KEY_ID,
    privateKey: benchRegistryKey.privateKey,
  });
  const url = await server.start();
  try {
    server.nextAllowlist({ status: 200, file: body });
    const result = (await runBenchChild("during-sync", { url, storePath, count }, log)) as BenchResult;
    return { ...result, gate_node_flags: gateNodeFlags() };
  } finally {
    await server.stop();
  }
}

/** The gate side of `benchScanDuringSync`, in a process of its own (bench/bench-child.ts). */
export async function scansDuringSync(
  url: string,
  storePath: string,
  count: number,
  log: (m: string) => void,
): Promise<BenchResult> {
  const { db, close } = openBenchGateDatabase(storePath, "during-sync");
  // The cached store and the cached snapshot are both v1: the gate is made to hold v0, so
  // the snapshot is newer and applies, and the credentials in force are the same people.
  db.prepare("UPDATE allowlist_meta SET version = 0").run();
  try {
    const clock = new FakeClock(BASE_MS);
    const { gate, allowlist } = gateOver(db, clock);
    // As in the daemon: the apply leaves the allowlist it replaced to the paced clearing.
    const clearing = new RetiredAllowlistClearing(allowlist, {
      now: () => Date.now(),
      onError: (err) => {
        throw err;
      },
    });
    clearing.start();
    await clearing.whenIdle();
    const sync = benchRegistrySync(url, db, allowlist, clearing);

    const next = random(3);
    const ids = new Set<number>();
    while (ids.size < 5000) {
      const id = 1 + Math.floor(next() * count);
      if (benchScheme(id) === "ed25519") ids.add(id);
    }
    const people = [...ids];
    let scans = 0;
    let granted = 0;
    const baseStep = Math.floor(BASE_MS / 30_000);
    /** The next scan's token, made before it arrives (the phone signs it, not the gate). */
    const token = (): { text: string; direction: "in" | "out" } => {
      const step = baseStep + Math.floor(scans / people.length);
      clock.set(step * 30_000 + 15_000);
      const id = people[scans % people.length] as number;
      return {
        text: encodeEd25519Token(String(id), step, benchPhoneKey.privateKey),
        direction: step % 2 === 0 ? "in" : "out",
      };
    };

    /** Scans on the schedule until `until` says stop; returns each one's arrival → journal time, µs. */
    const scanWhile = async (until: () => boolean, latencies: number[] = []): Promise<number[]> => {
      let arrival = performance.now();
      let nextScan = token();
      while (!until()) {
        const wait = arrival - performance.now();
        if (wait > 0) {
          await sleep(wait);
          continue;
        }
        const outcome = gate.handleScan(nextScan.text, { id: "in", direction: nextScan.direction });
        latencies.push((performance.now() - arrival) * 1000);
        scans++;
        if (outcome.decision.result === "granted") granted++;
        arrival += PERIOD_MS;
        nextScan = token();
        // Each scan is its own event in a gate (a reader's data): when scans are late, the
        // next one still waits for the turn, as it would behind a socket's callback, instead
        // of this loop holding the event loop until it has caught up (on a machine too busy
        // to keep the schedule, it never would, and the apply would starve).
        await nextTurn();
      }
      return latencies;
    };

    log(`bench: scans every ${PERIOD_MS} ms, ${FLOOR_MS / 1000} s without a sync (floor)…`);
    const floorEnd = performance.now() + FLOOR_MS;
    const floor = await scanWhile(() => performance.now() >= floorEnd);

    log(`bench: the same scans while a ${count}-credential snapshot applies…`);
    const memory = await sampleProcessMemory();
    const loop = watchEventLoop();
    let done = false;
    const t0 = performance.now();
    let applyMs = 0;
    const during: number[] = [];
    /** Scans timed while the pull and apply ran, before the clearing. */
    let applyScans = 0;
    // Timed until the replaced allowlist is cleared too: its clearing is part of the cost.
    const pulled = sync
      .pullOnce()
      .then(async (o) => {
        applyMs = performance.now() - t0;
        applyScans = during.length;
        await clearing.whenIdle();
        return o;
      })
      .finally(() => {
        done = true;
      });
    await scanWhile(() => done, during);
    const outcome = await pulled;
    const clearMs = performance.now() - t0 - applyMs;
    clearing.stop();
    const { blockMs, gcMs } = loop.stop();
    const peaks = await memory.stop();
    if (outcome.kind !== "applied") throw new Error(`bench snapshot not applied: ${JSON.stringify(outcome)}`);
    if (allowlist.stats().version !== 1) throw new Error("bench snapshot not in force");
    if (granted !== scans) throw new Error(`bench expected every scan granted, got ${granted}/${scans}`);

    const p99 = percentile(during, 0.99);
    const floorP99 = percentile(floor, 0.99);
    return {
      name: "scan_to_journal_during_sync",
      n: during.length,
      p50_us: percentile(during, 0.5),
      p99_us: p99,
      max_us: Math.round(Math.max(...during)),
      floor_n: floor.length,
      floor_p50_us: percentile(floor, 0.5),
      floor_p99_us: floorP99,
      ratio: p99 / floorP99,
      scheme: "ed25519",
      credentials: count,
      scans_per_s: 1000 / PERIOD_MS,
      apply_seconds: Math.round(applyMs / 10) / 100,
      clear_seconds: Math.round(clearMs / 10) / 100,
      // The p99 apart: while the snapshot was pulled, staged and switched; while the replaced one was cleared.
      apply_p99_us: percentile(during.slice(0, applyScans), 0.99),
      clear_p99_us: percentile(during.slice(applyScans), 0.99),
      max_event_loop_block_ms: blockMs,
      max_gc_pause_ms: gcMs,
      peak_rss_anon_mb: mb(peaks.anon),
      peak_rss_file_mb: mb(peaks.file),
      peak_rss_shmem_mb: mb(peaks.shmem),
      target: "p99_us < 5000",
    };
  } finally {
    await close();
  }
}
