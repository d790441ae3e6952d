import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { connectAsync, type MqttClient } from "mqtt";
import { startDaemon } from "../app/gate-app.js";
import { exampleGate, staffToken } from "../app/testing/mqtt-gate-fixture.js";
import { TestMosquitto } from "../daemon/mqtt/testing/mosquitto.js";
import { genericRelayTopics } from "../daemon/mqtt/topics.js";
import type { Clock } from "../platform/clock.js";
import { createLogger } from "../platform/log/logger.js";
import { againstFloor, type BenchResult } from "./bench-result.js";

/** Scans (and floor samples) left out at the start, while code and sockets warm up. */
const WARM_UP = 20;
/** Between samples, so that each starts with the gate idle (the board's ack handled), ms. */
const SETTLE_MS = 2;
const DEVICE = "bench-relay";
/** The floor's topic: as long as the board's command topic, so the packets are the same size. */
const FLOOR_TOPIC = genericRelayTopics("bench-floor", 1).command;

/**
 * Scan-to-relay through a real mosquitto (`set_tcp_nodelay true`, as docs/mqtt.md asks of a
 * site's broker): from the scan's text entering the daemon (stdin reader) to the emulated
 * relay board receiving its open command. The board runs in a process of its own
 * (bench/relay-board-process.ts), as a board is a device of its own; both ends are timed on
 * the system's monotonic clock. Each scan is a fresh grant: the daemon's clock moves 30 s
 * per scan, so a new time step is never a replay.
 *
 * The floor, in the same run on the same broker: one bare publish of the open command's
 * size (topic, payload, message expiry, QoS 0) from a client in the gate's process to a
 * client in the board's process, subscribed as the board is; one floor sample after each
 * scan, so that both see the same moments of the machine's noise.
 */
export async function benchMqttScanToRelay(n: number, progress: (m: string) => void): Promise<BenchResult[]> {
  const broker = await TestMosquitto.start({ config: ["allow_anonymous true", "set_tcp_nodelay true"] });
  let board: BoardProcess | undefined;
  let floorClient: MqttClient | undefined;
  try {
    board = await BoardProcess.start(broker.url);
    floorClient = await connectAsync(broker.url, { protocolVersion: 5 });
    // As the gate's session does (mqtt-connection.ts).
    (floorClient.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);

    const { config } = await exampleGate({
      gate: "bench-1",
      mqtt: { url: broker.url, siteShare: false },
      relays: [{ id: "turnstile", reader: "in", driver: { type: "generic", device: DEVICE }, pulse: "1s" }],
    });
    let offset = 0;
    const clock: Clock = { now: () => Date.now() + offset };
    const stdin = new PassThrough();
    const daemon = await startDaemon(config, { stdin, logger: createLogger({ level: "silent" }), clock });
    progress("bench: mqtt scan → relay, and a bare publish after each…");
    try {
      const samples: number[] = [];
      const floor: number[] = [];
      for (let i = 0; samples.length < n; i++) {
        offset += 30_000;
        const text = `${staffToken(Math.floor(clock.now() / 30_000))}\n`;
        // Until the board's availability has arrived the gate denies relay_offline: no command.
        const command = board.next("cmd", 2_000);
        const started = process.hrtime.bigint();
        stdin.write(text);
        const at = await command;
        if (at === undefined) {
          if (i > 100) throw new Error("the relay never received an open");
          continue;
        }
        await settle();
        const floorAt = board.next("floor", 2_000);
        const floorStarted = process.hrtime.bigint();
        floorClient.publish(FLOOR_TOPIC, openCommandLike(clock.now()), {
          qos: 0,
          properties: { messageExpiryInterval: 2 },
        });
        const floorArrived = await floorAt;
        if (floorArrived === undefined) throw new Error("a floor message never arrived");
        await settle();
        if (i >= WARM_UP) {
          samples.push(Number(at - started) / 1000);
          floor.push(Number(floorArrived - floorStarted) / 1000);
        }
      }
      return [result("mqtt scan→relay", samples, floor)];
    } finally {
      stdin.end();
      await daemon.stop();
    }
  } finally {
    await floorClient?.endAsync();
    await board?.stop();
    await broker.close();
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

/** A payload of the generic open command's shape and size (daemon/actuate/generic-relay-driver.ts). */
function openCommandLike(now: number): string {
  return JSON.stringify({ id: randomUUID(), ms: 1000, issuedAt: now, notAfter: now + 2_000 });
}

/** bench/relay-board-process.ts as a child process, and the arrivals it reports. */
class BoardProcess {
  private readonly waiting = new Map<string, (at: bigint | undefined) => void>();

  private constructor(private readonly child: ChildProcess) {
    if (child.stdout === null) return;
    createInterface({ input: child.stdout }).on("line", (line) => {
      const [kind, at] = line.split(" ");
      if (kind === undefined) return;
      const resolve = this.waiting.get(kind);
      this.waiting.delete(kind);
      resolve?.(at === undefined ? undefined : BigInt(at));
    });
  }

  static async start(url: string): Promise<BoardProcess> {
    const script = fileURLToPath(new URL("relay-board-process.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", script, url, DEVICE, FLOOR_TOPIC], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const board = new BoardProcess(child);
    if ((await board.next("ready", 30_000)) === undefined) {
      child.kill("SIGTERM");
      throw new Error("the relay board process never got ready");
    }
    return board;
  }

  /** The next arrival of `kind` (its monotonic ns; 0 for `ready`), or undefined after `ms`. */
  next(kind: string, ms: number): Promise<bigint | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(kind);
        resolve(undefined);
      }, ms);
      this.waiting.set(kind, (at) => {
        clearTimeout(timer);
        resolve(at ?? 0n);
      });
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill("SIGTERM"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

function result(name: string, samples: number[], floor: number[]): BenchResult {
  const line = againstFloor(name, samples, floor);
  return {
    ...line,
    target: "p99 ≤ floor p99 + 1000 µs",
    over_floor_p99_us: Math.round(line.p99_us - line.floor_p99_us),
    floor: "a bare publish of the open command's size, QoS 0, gate's process to the board's, after each scan",
  };
}
