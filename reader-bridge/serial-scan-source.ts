import type { Clock } from "../platform/clock.js";
import { describeError } from "../platform/log/describe-error.js";
import type { Logger } from "../platform/log/logger.js";
import { FrameSplitter } from "./frame-splitter.js";
import { type FrameAffixes, frameText } from "./frame-text.js";
import { ReconnectBackoff } from "./reconnect-backoff.js";
import type { FeedbackResult, ReaderState, ScanSource, ScanSourceEvents } from "./scan-source.js";
import type { OpenSerialPort, SerialPortInfo, SerialSystem } from "./serial-system.js";

/** Longest wait (ms) for a port to confirm it closed. */
const CLOSE_TIMEOUT_MS = 500;

/** Which port: a fixed path, or a USB device found by ids (stable across re-enumeration). */
export type SerialDeviceMatch =
  | { readonly path: string }
  | { readonly vendorId: string; readonly productId?: string; readonly serialNumber?: string };

export interface SerialReaderOptions extends FrameAffixes {
  readonly device: SerialDeviceMatch;
  readonly baudRate: number;
  /** Bytes that end a scan; empty when the scanner sends none (then set `interByteTimeoutMs`). */
  readonly terminator: Buffer;
  /** A pause this long (ms) after the last byte ends the scan; undefined = only the terminator does. */
  readonly interByteTimeoutMs?: number;
  /** Longest frame accepted, in bytes, prefix and suffix included. */
  readonly maxBytes: number;
  /** Bytes written to the reader after a decision (beep/LED commands), per result. */
  readonly feedback?: Partial<Record<FeedbackResult, Buffer>>;
  /**
   * Commands written to the scanner each time it is opened, in order (set its suffix, turn
   * off configuration by barcode): a scanner replugged or reset gets them again.
   */
  readonly setup?: readonly Buffer[];
  /** How often (ms) the device node is checked while open; default 250. */
  readonly watchMs?: number;
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
}

/** Finds the port a match names among the listed ones (the first, if several match). */
export function matchSerialPort(
  ports: readonly SerialPortInfo[],
  match: SerialDeviceMatch,
): string | undefined {
  if ("path" in match) return match.path;
  // USB ids are hex, written either case; a serial number is an opaque string.
  const sameHex = (a: string | undefined, b: string | undefined) =>
    b === undefined || (a !== undefined && a.toLowerCase() === b.toLowerCase());
  return ports.find(
    (p) =>
      sameHex(p.vendorId, match.vendorId) &&
      sameHex(p.productId, match.productId) &&
      (match.serialNumber === undefined || p.serialNumber === match.serialNumber),
  )?.path;
}

/**
 * A serial (or USB-CDC) barcode reader. It opens the port in the background and keeps
 * reopening it: an unplug is noticed by the port's `close`/`error` events *or* by a
 * periodic check that the device node still exists and is the same one (close events
 * are known to be missed), then reported `disconnected` and retried with backoff
 * (100 ms doubling to 1 s), so a returning reader is read again well within 2 s.
 */
export class SerialScanSource implements ScanSource {
  private events: ScanSourceEvents | undefined;
  private running = false;
  private port: OpenSerialPort | undefined;
  private openedPath: string | undefined;
  private openedIdentity: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private state: ReaderState | undefined;
  private readonly backoff: ReconnectBackoff;
  private readonly splitter: FrameSplitter;
  /** Bumped on each connect/disconnect so a stale open or event is ignored. */
  private generation = 0;

  constructor(
    readonly id: string,
    private readonly options: SerialReaderOptions,
    private readonly deps: { system: SerialSystem; clock: Clock; logger: Logger },
  ) {
    this.backoff = new ReconnectBackoff(options.backoff?.minMs ?? 100, options.backoff?.maxMs ?? 1_000);
    this.splitter = new FrameSplitter({
      terminator: options.terminator,
      maxBytes: options.maxBytes,
      onFrame: (frame) => this.onFrame(frame),
      onOversized: () => this.events?.rejected(this.id, "too_long"),
    });
  }

  async start(events: ScanSourceEvents): Promise<void> {
    this.events = events;
    this.running = true;
    this.setState("connecting");
    void this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.events = undefined;
    clearTimeout(this.retryTimer);
    await this.closePort();
  }

  async feedback(result: FeedbackResult): Promise<void> {
    const bytes = this.options.feedback?.[result];
    const port = this.port;
    if (bytes === undefined || bytes.length === 0 || port === undefined) return;
    await this.write(port, bytes);
  }

  private write(port: OpenSerialPort, bytes: Buffer): Promise<void> {
    return new Promise<void>((resolve) => {
      port.write(bytes, (err) => {
        // A failed write is one more sign the device is gone.
        if (err) this.lost(err);
        resolve();
      });
    });
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    const generation = ++this.generation;
    let path: string | undefined;
    try {
      path = "path" in this.options.device ? this.options.device.path : await this.resolveUsb();
      if (path === undefined) return this.retry();
      const port = await this.deps.system.open(path, this.options.baudRate);
      if (!this.running || generation !== this.generation) {
        port.close(() => {});
        return;
      }
      this.port = port;
      this.openedPath = path;
      this.openedIdentity = this.deps.system.identify(path);
      port.on("data", (chunk: Buffer) => this.onData(chunk));
      port.on("close", (err) => this.lost(err ?? new Error("port closed")));
      port.on("error", (err) => this.lost(err ?? new Error("port error")));
      this.backoff.reset();
      this.watchTimer = setInterval(() => this.watch(), this.options.watchMs ?? 250);
      for (const command of this.options.setup ?? []) await this.write(port, command);
      this.setState("connected");
    } catch (err) {
      // Once per absence: a reader that stays away is retried quietly.
      if (this.state !== "disconnected")
        this.deps.logger.warn({ reader: this.id, path, err: describeError(err) }, "serial open failed");
      this.retry();
    }
  }

  private async resolveUsb(): Promise<string | undefined> {
    return matchSerialPort(await this.deps.system.list(), this.options.device);
  }

  private retry(): void {
    if (!this.running) return;
    this.setState("disconnected");
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), this.backoff.delay());
  }

  private watch(): void {
    if (this.openedPath === undefined) return;
    const now = this.deps.system.identify(this.openedPath);
    if (now === undefined || now !== this.openedIdentity)
      this.lost(new Error("device node gone or replaced"));
  }

  private lost(err: Error): void {
    if (this.port === undefined || !this.running) return;
    this.deps.logger.warn({ reader: this.id, err: describeError(err) }, "serial reader lost");
    void this.closePort().then(() => this.retry());
  }

  private async closePort(): Promise<void> {
    clearInterval(this.watchTimer);
    clearTimeout(this.idleTimer);
    this.splitter.reset();
    const port = this.port;
    this.port = undefined;
    this.openedPath = undefined;
    this.generation++;
    if (port === undefined) return;
    port.removeAllListeners();
    // Keep an error listener: a late error from a dead port must not become an uncaught one.
    port.on("error", () => {});
    // A dead port's close callback is not guaranteed to come: never let it stall the reconnect.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
      port.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private onData(chunk: Buffer): void {
    this.splitter.push(chunk);
    const timeout = this.options.interByteTimeoutMs;
    if (timeout !== undefined) {
      clearTimeout(this.idleTimer);
      if (this.splitter.pending) this.idleTimer = setTimeout(() => this.splitter.flush(), timeout);
    }
  }

  private onFrame(frame: Buffer): void {
    const result = frameText(frame, this.options);
    if ("rejected" in result) this.events?.rejected(this.id, result.rejected);
    else if (result.text.length > 0)
      this.events?.scan({ reader: this.id, text: result.text, at: this.deps.clock.now() });
  }

  private setState(state: ReaderState): void {
    if (state === this.state) return;
    this.state = state;
    this.events?.state?.(this.id, state);
  }
}
