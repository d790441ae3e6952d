import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { connectAsync, type MqttClient } from "mqtt";
import { startDaemon } from "../app/gate-app.js";
import { exampleGate, staffToken, trustMembers } from "../app/testing/mqtt-gate-fixture.js";
import { TestMosquitto } from "../daemon/mqtt/testing/mosquitto.js";
import type { RosterMember } from "../daemon/trust/roster-member.js";
import { systemClock } from "../platform/clock.js";
import { createLogger } from "../platform/log/logger.js";
import { againstFloor, type BenchResult, percentile } from "./bench-result.js";
import { PingPeer } from "./bridge-floor-peer.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = join(root, "bin", "passgate.js");
/** Scans (and floor samples) left out at the start, while code warms up. */
const WARM_UP = 20;
/**
 * node's flags from the ExecStart line of scripts/passgate-bridge.service, so the bench
 * measures the bridge as a board runs it; PASSGATE_BENCH_BRIDGE_NODE_FLAGS (space-separated)
 * tries others.
 */
function bridgeNodeFlags(): string[] {
  const override = process.env.PASSGATE_BENCH_BRIDGE_NODE_FLAGS;
  if (override !== undefined) return override.split(" ").filter(Boolean);
  const unit = readFileSync(join(root, "scripts", "passgate-bridge.service"), "utf8");
  const exec = /^ExecStart=.*?\bnode((?: --[\w-]+(?:=\S+)?)*) \S+passgate\.js bridge run$/m.exec(unit);
  if (exec === null)
    throw new Error("scripts/passgate-bridge.service: no ExecStart=… node [flags] …/passgate.js bridge run");
  return (exec[1] ?? "").split(" ").filter(Boolean);
}

/**
 * A reader bridge and its gate through a real mosquitto: from a scan entering the bridge
 * (`passgate bridge run`, a process of its own, reading stdin) to the gate's signed answer
 * being played there, as the bridge itself times it (its log's `ms`). The gate runs in this
 * process. The floor, in the same run on the same broker: what a scan and its answer cross,
 * bare: client A, in a process of its own started with the bridge's node flags
 * (bench/ping-process.ts), publishes a message of a signed scan's size at the scan's QoS 1 to
 * client B in this process, subscribed as the gate's reader is, which answers with a message
 * of a signed answer's size at QoS 0 with the answer's expiry; A times it. One floor sample
 * after each scan, so that the floor and the scans share the machine's noise (on a shared
 * 2-core machine, a floor measured alone before the run came out anywhere from 1.1 to 2.7 ms
 * p99). `floor_one_process_*`: the earlier floor, A and B both in this process at QoS 0 with
 * 300-byte messages, for comparison. Also: the bridge's start to ready, and its resident
 * memory after the run (VmRSS, /proc).
 */
export async function benchBridge(n: number, progress: (m: string) => void): Promise<BenchResult[]> {
  // As docs/mqtt.md asks of a site's broker: without it mosquitto holds the answer behind
  // the PUBACK of the scan until the bridge's delayed ACK (40 ms).
  const broker = await TestMosquitto.start({ config: ["allow_anonymous true", "set_tcp_nodelay true"] });
  const dir = mkdtempSync(join(tmpdir(), "passgate-bench-bridge-"));
  let child: ChildProcess | undefined;
  let hops: PingPong | undefined;
  let peer: PingPeer | undefined;
  try {
    const floor: number[] = [];
    const oneProcessFloor: number[] = [];
    hops = await PingPong.open(broker.url);

    const { config: example, member } = await exampleGate({
      gate: "bench-br",
      mqtt: { url: broker.url, siteShare: false },
      readers: [
        {
          id: "in",
          direction: "in",
          source: { type: "bridge", rateLimit: { scans: 0 }, duplicateWindow: "0ms" },
        },
      ],
    });
    // Scans back to back, far faster than people: the per-bridge share would refuse them.
    const config = {
      ...example,
      trust: { ...example.trust, bridgeLimit: { burst: 10_000, perSecond: 10_000 } },
    };
    const configFile = join(dir, "passgate-bridge.yaml");
    const init = spawnSync(
      process.execPath,
      [
        cli,
        "-c",
        configFile,
        "bridge",
        "init",
        "--site",
        config.site,
        "--gate",
        config.gate,
        "--name",
        "bench",
        "--broker",
        broker.url,
        "--reader",
        "in:in:stdin",
        `--gate-key=${member.publicKey}`,
      ],
      { encoding: "utf8" },
    );
    if (init.status !== 0) throw new Error(`bridge init failed: ${init.stderr}`);
    const pair = spawnSync(process.execPath, [cli, "-c", configFile, "bridge", "pair", "--json"], {
      encoding: "utf8",
    });
    trustMembers(config, [(JSON.parse(pair.stdout) as { member: RosterMember }).member]);
    peer = await PingPeer.open(broker.url, config.gate, bridgeNodeFlags());
    const stdin = new PassThrough();
    const daemon = await startDaemon(config, {
      stdin,
      logger: createLogger({ level: "silent" }),
      clock: systemClock,
    });
    try {
      progress("bench: bridge scan → gate → answer…");
      const answers: number[] = [];
      let ready: number | undefined;
      const spawned = performance.now();
      // With the V8 limits scripts/passgate-bridge.service sets for a small board.
      child = spawn(process.execPath, [...bridgeNodeFlags(), cli, "-c", configFile, "bridge", "run"], {
        stdio: ["pipe", "pipe", "pipe"],
      });
      let waiting: (() => void) | undefined;
      if (child.stderr !== null)
        createInterface({ input: child.stderr }).on("line", (line) => {
          if (!line.startsWith("{")) return;
          const log = JSON.parse(line) as { msg?: string; ms?: number; component?: string; reason?: string };
          if (log.msg === "bridge ready") ready = performance.now() - spawned;
          if (log.component === "bridge" && typeof log.ms === "number" && log.reason !== undefined) {
            answers.push(log.ms);
            waiting?.();
          }
        });
      const deadline = Date.now() + 10_000;
      while (ready === undefined) {
        if (Date.now() > deadline) throw new Error("the bridge never got ready");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // Let its session and the gate's retained status arrive.
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (let i = 0; i < n + WARM_UP; i++) {
        const answered = new Promise<void>((resolve) => {
          waiting = resolve;
          setTimeout(resolve, 3_000);
        });
        child.stdin?.write(`${staffToken(Math.floor(Date.now() / 30_000))}\n`);
        await answered;
        const hop = await peer.once();
        if (Number.isNaN(hop)) throw new Error("the floor's ping process stopped");
        const oneProcess = await hops.once();
        if (i >= WARM_UP) {
          floor.push(hop);
          oneProcessFloor.push(oneProcess);
        }
      }
      const procStatus = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const kb = (field: "VmRSS" | "VmHWM" | "RssAnon") =>
        Number(new RegExp(`${field}:\\s+(\\d+)`).exec(procStatus)?.[1] ?? Number.NaN);
      const rssKb = kb("VmRSS");
      // Anonymous memory is the bridge's own; the file-backed rest is mostly node's own
      // executable, shared and reclaimable.
      const anonKb = kb("RssAnon");
      const samples = answers.slice(Math.min(WARM_UP, answers.length - 1)).map((ms) => ms * 1000);
      const line = againstFloor("bridge scan→answer", samples, floor);
      return [
        {
          ...line,
          target: "p99 ≤ floor p99 + 2000 µs",
          over_floor_p99_us: Math.round(line.p99_us - line.floor_p99_us),
          floor_one_process_p50_us: percentile(oneProcessFloor, 0.5),
          floor_one_process_p99_us: percentile(oneProcessFloor, 0.99),
          scans: n + WARM_UP,
          answered: answers.length,
          bridge_rss_mb: Math.round(rssKb / 102.4) / 10,
          bridge_rss_anon_mb: Math.round(anonKb / 102.4) / 10,
          bridge_rss_peak_mb: Math.round(kb("VmHWM") / 102.4) / 10,
          bridge_node_flags: bridgeNodeFlags().join(" "),
          bridge_ready_ms: Math.round(ready),
        },
      ];
    } finally {
      child?.stdin?.end();
      stdin.end();
      await daemon.stop();
    }
  } finally {
    child?.kill("SIGTERM");
    await hops?.close();
    await peer?.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A → B → A through the broker, QoS 0: one sample at a time, µs. */
class PingPong {
  private constructor(
    private readonly a: MqttClient,
    private readonly b: MqttClient,
  ) {}

  static async open(url: string): Promise<PingPong> {
    const a = await connectAsync(url, { protocolVersion: 5 });
    const b = await connectAsync(url, { protocolVersion: 5 });
    await a.subscribeAsync("bench/pong");
    await b.subscribeAsync("bench/ping");
    b.on("message", (_t, payload) => b.publish("bench/pong", payload));
    return new PingPong(a, b);
  }

  once(): Promise<number> {
    const started = performance.now();
    return new Promise((resolve) => {
      this.a.once("message", () => resolve((performance.now() - started) * 1000));
      // About the size of a signed scan.
      this.a.publish("bench/ping", "x".repeat(300));
    });
  }

  async close(): Promise<void> {
    await this.a.endAsync();
    await this.b.endAsync();
  }
}
