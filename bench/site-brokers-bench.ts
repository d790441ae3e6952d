import { PassThrough } from "node:stream";
import { type RunningDaemon, startDaemon } from "../app/gate-app.js";
import { exampleGate, SITE, staffToken, trustMembers } from "../app/testing/mqtt-gate-fixture.js";
import { startBridgedBrokers } from "../daemon/mqtt/testing/bridged-brokers.js";
import { migrateGateState } from "../daemon/state/gate-state-schema.js";
import { ReplayGuard } from "../daemon/state/replay-guard.js";
import type { Clock } from "../platform/clock.js";
import { openDatabase } from "../platform/database/database.js";
import { createLogger } from "../platform/log/logger.js";
import { type BenchResult, percentile } from "./bench-result.js";

/** Scans before the samples: the JIT, the sockets and the bridge warm up. */
const WARM_UP = 20;

/**
 * A site record across a mosquitto bridge (docs/scale.md): a grant at gate-1 (core broker)
 * until its (credential, step) pair is in the replay state of gate-2, on the same broker,
 * and of gate-3, on a building's broker bridged to the core. Real gates in one process (one
 * clock times both ends), each record signed by gate-1 and verified on the receivers'
 * worker threads. The floor is gate-2, in the same run and for the same records: the
 * difference is the bridge's hop. A receiver's state is looked at on each turn of the event
 * loop, so both sides carry the same polling error (a few tens of µs).
 */
export async function benchSiteAcrossBrokers(n: number, progress: (m: string) => void): Promise<BenchResult> {
  const brokers = await startBridgedBrokers([`passgate/${SITE}/shared/#`]);
  // One clock for all three, moved 30 s per scan: each scan is a fresh step, never a replay,
  // and every receiver finds the record's step and signature time fresh.
  let offset = 0;
  const clock: Clock = { now: () => Date.now() + offset };
  const gates: { daemon: RunningDaemon; stdin: PassThrough; replay: ReplayGuard; close(): void }[] = [];
  try {
    const prepared = [];
    for (const [gate, url] of [
      ["gate-1", brokers.core.url],
      ["gate-2", brokers.core.url],
      ["gate-3", brokers.building.url],
    ] as const)
      prepared.push(await exampleGate({ gate, mqtt: { url } }));
    for (const p of prepared)
      trustMembers(
        p.config,
        prepared.map((q) => q.member),
      );
    for (const { config } of prepared) {
      const stdin = new PassThrough();
      const daemon = await startDaemon(config, { stdin, logger: createLogger({ level: "silent" }), clock });
      const db = openDatabase(config.storage.path);
      migrateGateState(db);
      gates.push({ daemon, stdin, replay: new ReplayGuard(db), close: () => db.close() });
    }
    const [sender, near, far] = gates as [(typeof gates)[0], (typeof gates)[0], (typeof gates)[0]];
    progress("bench: a site record on one broker and across a bridge…");
    const sameBroker: number[] = [];
    const acrossBridge: number[] = [];
    for (let i = 0; i < n + WARM_UP; i++) {
      offset += 30_000;
      const step = Math.floor(clock.now() / 30_000);
      const started = performance.now();
      sender.stdin.write(`${staffToken(step)}\n`);
      let nearAt: number | undefined;
      let farAt: number | undefined;
      // The first pairs wait for the subscriptions and the bridge to be up: one lost then is skipped.
      const both = await polled(() => {
        nearAt ??= near.replay.seen("42", step) ? performance.now() : undefined;
        farAt ??= far.replay.seen("42", step) ? performance.now() : undefined;
        return nearAt !== undefined && farAt !== undefined;
      }, 10_000);
      if (!both && i >= WARM_UP) throw new Error(`the pair of step ${step} did not reach both receivers`);
      if (i >= WARM_UP && nearAt !== undefined && farAt !== undefined) {
        sameBroker.push((nearAt - started) * 1000);
        acrossBridge.push((farAt - started) * 1000);
      }
    }
    const p99 = percentile(acrossBridge, 0.99);
    const floorP99 = percentile(sameBroker, 0.99);
    return {
      name: "site_record_across_brokers",
      n: acrossBridge.length,
      p50_us: percentile(acrossBridge, 0.5),
      p99_us: p99,
      floor_p50_us: percentile(sameBroker, 0.5),
      floor_p99_us: floorP99,
      ratio: p99 / floorP99,
      max_us: percentile(acrossBridge, 1),
      floor:
        "the same records to a gate on the sender's own broker: grant at gate-1 → pair in gate-2's replay state",
    };
  } finally {
    for (const g of gates) {
      g.stdin.end();
      await g.daemon.stop();
      g.close();
    }
    await brokers.close();
  }
}

/**
 * Whether `check` became true within `timeoutMs`, looked at on every turn of the event loop
 * (not a 10 ms timer: the times measured are around a millisecond).
 */
async function polled(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return true;
}
