import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { connectAsync, type MqttClient } from "mqtt";
import { staffToken } from "../app/testing/mqtt-gate-fixture.js";
import { REASON_TEXTS } from "../daemon/decide/reason-texts.js";
import { signMessage } from "../daemon/trust/signed-message.js";

/**
 * The floor as the bridge and the gate are laid out: A (bench/ping-process.ts) in a process
 * of its own with the bridge's node flags, B in this process. Each ping is the size of a
 * signed scan at the scan's QoS 1; each pong the size of a signed answer, QoS 0, with the
 * answer's expiry; µs as A times it.
 */
export class PingPeer {
  private readonly rounds: ((us: number) => void)[] = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly b: MqttClient,
  ) {
    if (child.stdout !== null)
      createInterface({ input: child.stdout }).on("line", (line) =>
        this.rounds.shift()?.(line === "ready" ? 0 : Number(line)),
      );
    // A peer that died answers nothing more: whoever waits gets NaN instead of waiting forever.
    child.once("exit", () => {
      for (const resolve of this.rounds.splice(0)) resolve(Number.NaN);
    });
  }

  /** `nodeFlags`: the bridge's, so that A runs as the bridge does. */
  static async open(url: string, gate: string, nodeFlags: readonly string[]): Promise<PingPeer> {
    const { scan, answer } = signedSizes(gate);
    const b = await connectAsync(url, { protocolVersion: 5 });
    (b.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    await b.subscribeAsync("bench/peer/ping", { qos: 1 });
    const pong = "x".repeat(answer);
    b.on("message", () =>
      b.publish("bench/peer/pong", pong, { qos: 0, properties: { messageExpiryInterval: 5 } }),
    );
    const script = fileURLToPath(new URL("ping-process.ts", import.meta.url));
    const child = spawn(
      process.execPath,
      [...nodeFlags, "--import", "tsx", script, url, "bench/peer/ping", "bench/peer/pong", `${scan}`, "1"],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    const peer = new PingPeer(child, b);
    const ready = new Promise<number>((resolve) => peer.rounds.push(resolve));
    const timer = setTimeout(() => child.kill("SIGTERM"), 30_000);
    const started = await ready;
    clearTimeout(timer);
    if (Number.isNaN(started)) throw new Error("the floor's ping process never got ready");
    return peer;
  }

  once(): Promise<number> {
    if (this.child.exitCode !== null) return Promise.resolve(Number.NaN);
    return new Promise((resolve) => {
      this.rounds.push(resolve);
      this.child.stdin?.write("ping\n");
    });
  }

  async close(): Promise<void> {
    const exited =
      this.child.exitCode === null ? new Promise((resolve) => this.child.once("exit", resolve)) : undefined;
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill("SIGTERM"), 5_000);
    await exited;
    clearTimeout(timer);
    await this.b.endAsync();
  }
}

/** Bytes of a bridge's signed scan (a staff token) and of the gate's signed answer (`replayed`, as most in this run are), as JSON. */
function signedSizes(gate: string): { scan: number; answer: number } {
  const { privateKey } = generateKeyPairSync("ed25519");
  const now = Date.now();
  const scan = signMessage({
    topic: "scan",
    signer: `bridge:${gate}-bench`,
    privateKey,
    body: { reader: "in", text: staffToken(Math.floor(now / 30_000)), scannedAt: now, seq: now * 1000 },
    at: now,
  });
  const answer = signMessage({
    topic: "answer",
    signer: `gate:${gate}`,
    privateKey,
    body: {
      reader: "in",
      seq: now * 1000,
      result: "denied",
      reason: "replayed",
      text: REASON_TEXTS.replayed,
    },
    at: now,
  });
  return {
    scan: Buffer.byteLength(JSON.stringify(scan)),
    answer: Buffer.byteLength(JSON.stringify(answer)),
  };
}
