import { setImmediate as yieldToLoop } from "node:timers/promises";
import { ScureBase32Plugin } from "@otplib/plugin-base32-scure";
import { importEd25519PublicKey } from "../daemon/verify/verify-token.js";
import { FakeClock } from "../platform/testing/fake-clock.js";
import { benchPhoneKey, benchScheme, benchTotpSecret } from "./bench-population.js";
import { type BenchResult, percentile } from "./bench-result.js";
import {
  BASE_MS,
  benchToken,
  durableFloor,
  gateOver,
  openBenchGateDatabase,
  random,
} from "./scan-path-bench.js";

/**
 * `scan_throughput`: how many decisions one gate takes per second with every one journaled
 * (committed before the next starts), 10⁶ credentials, half the people Ed25519 and half
 * TOTP in a shuffled order. The gate decides on its event loop, one scan after another, as
 * `passgate run` does; the loop gets a turn between blocks of 500 scans, so timers and I/O
 * run as in service; the WAL checkpoints run in their thread. Tokens are made before the
 * clock starts (a phone makes them, not the gate). Then the durable floor on the same
 * tokens (lookup + verify + a single-row commit): its rate is the most any durable gate
 * could take on this machine. Times per decision in µs; rates in decisions per second of
 * wall time, and per second of the process's CPU time (`decisions_per_cpu_second`).
 */
export async function benchScanThroughput(
  storePath: string,
  options: { people: number; steps: number; credentials: number },
): Promise<BenchResult> {
  const { db, close } = openBenchGateDatabase(storePath, "throughput");
  try {
    const clock = new FakeClock(BASE_MS);
    const { gate } = gateOver(db, clock);
    const next = random(3);
    const ids = new Set<number>();
    const half = { totp: 0, ed25519: 0 };
    while (ids.size < options.people) {
      const id = 1 + Math.floor(next() * options.credentials);
      const scheme = benchScheme(id);
      if (ids.has(id) || half[scheme] >= options.people / 2) continue;
      ids.add(id);
      half[scheme]++;
    }
    const people = [...ids];
    const base32 = new ScureBase32Plugin();
    const secrets = new Map(people.map((id) => [id, Buffer.from(base32.decode(benchTotpSecret(id)))]));
    const floorOnce = durableFloor(
      db,
      db.prepare("SELECT body FROM allowlist_credential WHERE id = ?"),
      importEd25519PublicKey(benchPhoneKey.publicKey)!,
      secrets,
    );
    const baseStep = Math.floor(BASE_MS / 30_000);
    // Warm-up step, as a gate in service has its keys and pages cached.
    clock.set(baseStep * 30_000 + 15_000);
    for (const id of people) gate.handleScan(benchToken(id, baseStep), { id: "in", direction: "in" });

    const latencies: number[] = [];
    const floorLatencies: number[] = [];
    let pathNs = 0n;
    let floorNs = 0n;
    let pathCpuUs = 0;
    let granted = 0;
    for (let s = 1; s <= options.steps; s++) {
      const step = baseStep + s;
      const tokens = people.map((id) => benchToken(id, step));
      clock.set(step * 30_000 + 15_000);
      const direction = s % 2 === 0 ? "in" : "out";
      const started = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      for (let i = 0; i < tokens.length; i += 500) {
        for (const text of tokens.slice(i, i + 500)) {
          const outcome = gate.handleScan(text, { id: "in", direction });
          latencies.push(outcome.micros);
          if (outcome.decision.result === "granted") granted++;
        }
        await yieldToLoop();
      }
      pathNs += process.hrtime.bigint() - started;
      const used = process.cpuUsage(cpu);
      pathCpuUs += used.user + used.system;
      // The floor after the path, on the same tokens, with the same turns of the loop.
      const floorStarted = process.hrtime.bigint();
      for (let i = 0; i < tokens.length; i += 500) {
        for (const text of tokens.slice(i, i + 500)) floorLatencies.push(floorOnce(text));
        await yieldToLoop();
      }
      floorNs += process.hrtime.bigint() - floorStarted;
    }
    if (granted !== latencies.length)
      throw new Error(`bench expected every scan granted, got ${granted}/${latencies.length}`);
    const perSecond = (count: number, ns: bigint) => Math.round((count * 1e9) / Number(ns));
    const p99 = percentile(latencies, 0.99);
    const floorP99 = percentile(floorLatencies, 0.99);
    return {
      name: "scan_throughput",
      n: latencies.length,
      p50_us: percentile(latencies, 0.5),
      p99_us: p99,
      floor_p50_us: percentile(floorLatencies, 0.5),
      floor_p99_us: floorP99,
      ratio: p99 / floorP99,
      decisions_per_second: perSecond(latencies.length, pathNs),
      floor_decisions_per_second: perSecond(floorLatencies.length, floorNs),
      // Per second of this process's CPU time (the checkpointer thread's included): what one
      // core takes when the machine's other work does not take turns with it.
      decisions_per_cpu_second: Math.round((latencies.length * 1e6) / pathCpuUs),
      mix: "50% ed25519, 50% totp",
      credentials: options.credentials,
      target: "decisions_per_second >= 5000",
    };
  } finally {
    await close();
  }
}
