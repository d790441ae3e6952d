import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./scan-recorder.js";

/** A free loopback TCP port, found by letting the OS pick one. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function accepts(port: number): Promise<boolean> {
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

/** A real mosquitto on a loopback port, startable and stoppable (a broker outage). */
export class Mosquitto {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), "passgate-mosquitto-"));

  private constructor(readonly port: number) {}

  static async start(): Promise<Mosquitto> {
    const broker = new Mosquitto(await freePort());
    await broker.up();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const conf = join(this.dir, "mosquitto.conf");
    writeFileSync(conf, `listener ${this.port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    this.child = spawn("mosquitto", ["-c", conf], { stdio: "ignore" });
    let polling = false;
    let ready = false;
    await waitFor(() => {
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
