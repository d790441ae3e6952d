import {
  framedRead,
  paced,
  repeatReads,
  type ScanTyping,
  type ScanTypingOptions,
  scanTyping,
} from "./scan-typing.js";
import { SocatPty } from "./socat-pty.js";

/**
 * A serial (USB-CDC) barcode scanner on a real pseudo-terminal: the gate opens
 * `readerPath` as it would /dev/ttyACM0. `unplug()` removes the device node and
 * `replug()` brings a new one back at the same path, as pulling and reinserting the USB
 * cable does, for fault injection.
 */
export class SerialScannerEmulator {
  private readonly pty: SocatPty;
  private readonly typing: ScanTyping;

  /** `readerPath`: the gate's side; `devicePath`: the scanner's side (both links socat makes). */
  constructor(readerPath: string, devicePath: string, typing: ScanTypingOptions = {}) {
    this.pty = new SocatPty(readerPath, devicePath);
    this.typing = scanTyping(typing);
  }

  get readerPath(): string {
    return this.pty.readerPath;
  }

  get pluggedIn(): boolean {
    return this.pty.pluggedIn;
  }

  async start(): Promise<void> {
    await this.pty.plugIn();
  }

  async stop(): Promise<void> {
    await this.pty.unplug();
  }

  /** Types one scan of `text` (a live token: never logged) with the configured reads and pacing. */
  async scan(text: string): Promise<void> {
    const bytes = framedRead(text, this.typing);
    await repeatReads(this.typing, async () => {
      if (this.typing.charDelayMs === 0) return this.pty.write(bytes);
      await paced([...bytes], this.typing.charDelayMs, (b) => this.pty.write(Buffer.of(b)));
    });
  }

  /** Writes bytes as they are, for framing faults (a cut-off read, noise). */
  async writeRaw(bytes: Buffer): Promise<void> {
    await this.pty.write(bytes);
  }

  async unplug(): Promise<void> {
    await this.pty.unplug();
  }

  async replug(): Promise<void> {
    await this.pty.plugIn();
  }
}
