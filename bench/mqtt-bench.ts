import { PassThrough } from "node:stream";
import { connect } from "mqtt";
import { startDaemon } from "../app/gate-app.js";
import { exampleGate, staffToken } from "../app/testing/mqtt-gate-fixture.js";
import { TestMosquitto } from "../daemon/mqtt/testing/mosquitto.js";
import type { Clock } from "../platform/clock.js";
import { createLogger } from "../platform/log/logger.js";
import { GenericRelayEmulator } from "../sim/devices/generic-relay-emulator.js";
import { type BenchResult, percentile } from "./bench-result.js";

/**
 * Scan-to-relay through a real mosquitto: from the scan's text entering the daemon (stdin
 * reader) to the emulated relay board receiving its open command, in one process so one
 * clock times both ends. The floor, measured in the same run on the same broker, is a bare
 * QoS 0 publish from one client to another. Each scan is a fresh grant: the daemon's clock
 * moves 30 s per scan, so a new time step is never a replay.
 */
export async function benchMqttScanToRelay(n: number, progress: (m: string) => void): Promise<BenchResult[]> {
  const broker = await TestMosquitto.start();
  const device = new GenericRelayEmulator("bench-relay");
  try {
    await device.start(broker.url);
    progress("bench: mqtt bare publish floor…");
    const floor = await barePublishRoundTrips(broker.url, n);

    const { config } = await exampleGate({
      gate: "bench-1",
      mqtt: { url: broker.url, siteShare: false },
      relays: [
        { id: "turnstile", reader: "in", driver: { type: "generic", device: "bench-relay" }, pulse: "1s" },
      ],
    });
    let offset = 0;
    const clock: Clock = { now: () => Date.now() + offset };
    const stdin = new PassThrough();
    const daemon = await startDaemon(config, { stdin, logger: createLogger({ level: "silent" }), clock });
    progress("bench: mqtt scan → relay…");
    try {
      const samples: number[] = [];
      for (let i = 0; samples.length < n; i++) {
        offset += 30_000;
        const text = `${staffToken(Math.floor(clock.now() / 30_000))}\n`;
        const received = new Promise<number | undefined>((resolve) => {
          device.onCommand = resolve;
          // Until the board's availability has arrived the gate denies relay_offline: no command.
          setTimeout(() => resolve(undefined), 2_000);
        });
        const started = performance.now();
        stdin.write(text);
        const at = await received;
        if (at === undefined && i > 100) throw new Error("the relay never received an open");
        // The first runs warm up the JIT and the sockets.
        if (at !== undefined && i >= 20) samples.push((at - started) * 1000);
      }
      return [result("mqtt scan→relay", samples, floor)];
    } finally {
      stdin.end();
      await daemon.stop();
    }
  } finally {
    await device.stop();
    await broker.close();
  }
}

async function barePublishRoundTrips(url: string, n: number): Promise<number[]> {
  const pub = connect(url, { protocolVersion: 5 });
  const sub = connect(url, { protocolVersion: 5 });
  await Promise.all([pub, sub].map((c) => new Promise<void>((r) => c.once("connect", () => r()))));
  await sub.subscribeAsync("bench/floor", { qos: 0 });
  const samples: number[] = [];
  try {
    for (let i = 0; i < n + 20; i++) {
      const got = new Promise<number>((resolve) => sub.once("message", () => resolve(performance.now())));
      const started = performance.now();
      pub.publish("bench/floor", JSON.stringify({ id: `f-${i}`, ms: 1000 }), { qos: 0 });
      const at = await got;
      if (i >= 20) samples.push((at - started) * 1000);
    }
  } finally {
    await pub.endAsync();
    await sub.endAsync();
  }
  return samples;
}

function result(name: string, samples: number[], floor: number[]): BenchResult {
  const p99 = percentile(samples, 0.99);
  const floorP99 = percentile(floor, 0.99);
  return {
    name,
    n: samples.length,
    p50_us: percentile(samples, 0.5),
    p99_us: p99,
    floor_p50_us: percentile(floor, 0.5),
    floor_p99_us: floorP99,
    ratio: p99 / floorP99,
    floor: "bare QoS 0 publish, client to client through the same mosquitto",
  };
}
