import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

/** Polls `condition` every 10 ms; rejects naming `what` after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A real pseudo-terminal pair made by socat: the reader opens `readerPath`, the scanner
 * side writes to `devicePath`. `unplug` kills socat, which removes both links, as
 * unplugging a USB-CDC scanner removes its /dev/ttyACM node; `plugIn` again makes a new
 * pty behind the same paths.
 */
export class SocatPty {
  private child: ChildProcess | undefined;
  private device: FileHandle | undefined;

  constructor(
    readonly readerPath: string,
    readonly devicePath: string,
  ) {}

  get pluggedIn(): boolean {
    return this.device !== undefined;
  }

  async plugIn(): Promise<void> {
    const child = spawn(
      "socat",
      [`pty,raw,echo=0,link=${this.readerPath}`, `pty,raw,echo=0,link=${this.devicePath}`],
      { stdio: "ignore" },
    );
    this.child = child;
    await until(
      () => existsSync(this.readerPath) && existsSync(this.devicePath),
      "socat to create the pty links",
    );
    this.device = await open(this.devicePath, "r+");
  }

  /** Writes bytes into the pty from the thread pool, so a reader in this process keeps draining it. */
  async write(bytes: Buffer): Promise<void> {
    if (this.device === undefined) throw new Error("pty is unplugged");
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await this.device.write(bytes, offset);
      offset += bytesWritten;
    }
  }

  async unplug(): Promise<void> {
    const device = this.device;
    this.device = undefined;
    // Closing the scanner side of a pty whose reader is gone may fail: the pty is going anyway.
    await device?.close().catch(() => undefined);
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
    await until(() => !existsSync(this.readerPath), "socat to remove the pty link");
  }
}
