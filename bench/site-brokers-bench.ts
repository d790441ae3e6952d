import { PassThrough } from "node:stream";
import { connect, type MqttClient } from "mqtt";
import { type RunningDaemon, startDaemon } from "../app/gate-app.js";
import { exampleGate, SITE, staffToken, trustMembers } from "../app/testing/mqtt-gate-fixture.js";
import { type BridgedBrokers, startBridgedBrokers } from "../daemon/mqtt/testing/bridged-brokers.js";
import { migrateGateState } from "../daemon/state/gate-state-schema.js";
import { ReplayGuard } from "../daemon/state/replay-guard.js";
import type { Clock } from "../platform/clock.js";
import { openDatabase } from "../platform/database/database.js";
import { createLogger } from "../platform/log/logger.js";
import { againstFloor, type BenchResult, percentile } from "./bench-result.js";

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
export async function benchSiteAcrossBrokers(
  n: number,
  progress: (m: string) => void,
): Promise<BenchResult[]> {
  const brokers = await startBridgedBrokers([`passgate/${SITE}/shared/#`]);
  progress("bench: a bare publish on one broker and across a bridge…");
  const bare = await barePublishAcross(brokers, n);
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
    return [
      result(
        "site_record_across_brokers",
        acrossBridge,
        sameBroker,
        "the same records to a gate on the sender's own broker: grant at gate-1 → pair in gate-2's replay state",
      ),
      bare,
    ];
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

function result(name: string, samples: number[], floor: number[], what: string): BenchResult {
  return {
    ...againstFloor(name, samples, floor),
    max_us: percentile(samples, 1),
    floor: what,
  };
}

/**
 * The broker legs alone: a QoS 1 publish of a record-sized payload on the core until a
 * client on the core (the floor) and a client on the building's broker have it, one at a time.
 */
async function barePublishAcross(brokers: BridgedBrokers, n: number): Promise<BenchResult> {
  const topic = `passgate/${SITE}/shared/bench/replay`;
  const clients: MqttClient[] = [brokers.core.url, brokers.core.url, brokers.building.url].map((url) =>
    connect(url, { protocolVersion: 5 }),
  );
  const [pub, near, far] = clients as [MqttClient, MqttClient, MqttClient];
  try {
    await Promise.all(clients.map((c) => new Promise<void>((r) => c.once("connect", () => r()))));
    await near.subscribeAsync(topic, { qos: 1 });
    await far.subscribeAsync(topic, { qos: 1 });
    const payload = "x".repeat(400);
    const sameBroker: number[] = [];
    const acrossBridge: number[] = [];
    for (let i = 0; sameBroker.length < n; i++) {
      const id = `${i}:`;
      const got = (c: MqttClient) =>
        new Promise<number | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), i < WARM_UP ? 2_000 : 10_000);
          const on = (_t: string, p: Buffer) => {
            if (!p.toString().startsWith(id)) return;
            clearTimeout(timer);
            c.off("message", on);
            resolve(performance.now());
          };
          c.on("message", on);
        });
      const arrivals = Promise.all([got(near), got(far)]);
      const started = performance.now();
      pub.publish(topic, id + payload, { qos: 1 });
      const [nearAt, farAt] = await arrivals;
      // The first ones wait for the bridge's subscription on the core: skipped.
      if (nearAt === undefined || farAt === undefined) {
        if (i >= WARM_UP) throw new Error("a bare publish did not reach both clients");
        continue;
      }
      if (i >= WARM_UP) {
        sameBroker.push((nearAt - started) * 1000);
        acrossBridge.push((farAt - started) * 1000);
      }
    }
    return result(
      "mqtt_publish_across_brokers",
      acrossBridge,
      sameBroker,
      "the same QoS 1 publish to a client on the publisher's own broker",
    );
  } finally {
    await Promise.all(clients.map((c) => c.endAsync()));
  }
}
