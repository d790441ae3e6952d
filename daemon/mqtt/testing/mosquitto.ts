import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Polls `condition` every 10 ms; rejects after `timeoutMs`. Returns the ms it took. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

/** A free loopback TCP port, found by letting the OS pick one. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
    s.connect(port, "127.0.0.1");
  });
}

/**
 * A real mosquitto (/usr/sbin/mosquitto, installed by .ci/run) on a free loopback port.
 * `down()` and `up()` stop and restart it on the same port: a broker outage. No
 * persistence, so a restart also forgets retained messages and sessions, as a crashed
 * broker without a persistence file would.
 */
export class TestMosquitto {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), "passgate-mosquitto-"));

  private constructor(
    readonly port: number,
    private readonly config: readonly string[],
  ) {}

  /**
   * `config`: mosquitto.conf lines after the listener, instead of `allow_anonymous true`
   * (e.g. `allow_anonymous false`, `password_file …`, `acl_file …`, `plugin …`).
   */
  static async start(options: { readonly config?: readonly string[] } = {}): Promise<TestMosquitto> {
    const broker = new TestMosquitto(await freeLoopbackPort(), options.config ?? ["allow_anonymous true"]);
    await broker.up();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const conf = join(this.dir, "mosquitto.conf");
    writeFileSync(
      conf,
      [`listener ${this.port} 127.0.0.1`, ...this.config, "persistence false", ""].join("\n"),
    );
    const child = spawn("mosquitto", ["-c", conf], { stdio: "ignore" });
    this.child = child;
    let ready = false;
    let polling = false;
    await waitUntil(() => {
      if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}`);
      if (!polling) {
        polling = true;
        void accepts(this.port).then((ok) => {
          ready = ok;
          polling = false;
        });
      }
      return ready;
    }, "mosquitto to listen");
  }

  async down(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }

  async close(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
