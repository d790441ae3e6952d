import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { waitFor } from "./scan-recorder.js";

/**
 * A real pseudo-terminal pair made by socat: the reader opens `readerPath`, the test
 * writes to `devicePath` as a scanner would. `unplug` kills socat, which removes both
 * links, as unplugging a USB-CDC scanner removes its /dev/ttyACM node.
 */
export class SocatPty {
  private child: ChildProcess | undefined;
  private device: FileHandle | undefined;

  constructor(
    readonly readerPath: string,
    readonly devicePath: string,
  ) {}

  async plugIn(): Promise<void> {
    const child = spawn(
      "socat",
      [`pty,raw,echo=0,link=${this.readerPath}`, `pty,raw,echo=0,link=${this.devicePath}`],
      { stdio: "ignore" },
    );
    this.child = child;
    await waitFor(
      () => existsSync(this.readerPath) && existsSync(this.devicePath),
      "socat to create the pty links",
    );
    this.device = await open(this.devicePath, "r+");
  }

  /** Writes bytes into the pty from the thread pool, so the reader in this process keeps draining it. */
  async write(bytes: Buffer): Promise<void> {
    if (this.device === undefined) throw new Error("pty is unplugged");
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await this.device.write(bytes, offset);
      offset += bytesWritten;
    }
  }

  async unplug(): Promise<void> {
    await this.device?.close().catch(() => {});
    this.device = undefined;
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
    await waitFor(() => !existsSync(this.readerPath), "socat to remove the pty link");
  }
}
