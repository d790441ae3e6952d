import type { Clock } from "../platform/clock.js";
import { describeError } from "../platform/log/describe-error.js";
import type { Logger } from "../platform/log/logger.js";
import { type FrameAffixes, frameText } from "./frame-text.js";
import { KeyboardReportDecoder } from "./hid-keyboard-decoder.js";
import { PosReportDecoder } from "./hid-pos-decoder.js";
import type { HidDeviceInfo, HidSystem, OpenHidDevice } from "./hid-system.js";
import { ReconnectBackoff } from "./reconnect-backoff.js";
import type { ReaderState, ScanSource, ScanSourceEvents } from "./scan-source.js";

export type HidDeviceMatch =
  | { readonly path: string }
  | { readonly vendorId: number; readonly productId?: number; readonly serialNumber?: string };

export interface HidReaderOptions extends FrameAffixes {
  readonly device: HidDeviceMatch;
  readonly mode: "keyboard" | "pos";
  readonly reportId?: number;
  readonly maxBytes: number;
  /** How often (ms) the device list is checked while open; default 500. */
  readonly watchMs?: number;
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
}

/** Finds the hidraw path a match names; in POS mode the barcode usage page 0x8C interface is preferred. */
export function matchHidDevice(
  devices: readonly HidDeviceInfo[],
  match: HidDeviceMatch,
  mode: "keyboard" | "pos",
): string | undefined {
  if ("path" in match) return devices.some((d) => d.path === match.path) ? match.path : undefined;
  const candidates = devices.filter(
    (d) =>
      d.path !== undefined &&
      d.vendorId === match.vendorId &&
      (match.productId === undefined || d.productId === match.productId) &&
      (match.serialNumber === undefined || d.serialNumber === match.serialNumber),
  );
  const wanted = mode === "pos" ? 0x8c : 0x01;
  return (candidates.find((d) => d.usagePage === wanted) ?? candidates[0])?.path;
}

/**
 * A USB HID barcode reader (keyboard-wedge or HID POS) through node-hid. Opens in the
 * background and keeps reopening; an unplug is noticed by a read error or by a periodic
 * check that the device is still listed, then reported and retried with backoff (100 ms
 * doubling to 1 s). Reports are decoded by the pure decoders, so the host's keyboard
 * layout never touches the text.
 */
export class HidScanSource implements ScanSource {
  private events: ScanSourceEvents | undefined;
  private running = false;
  private device: OpenHidDevice | undefined;
  private openedPath: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private state: ReaderState | undefined;
  private generation = 0;
  private readonly backoff: ReconnectBackoff;
  private readonly decoder: { push(report: Buffer): void; reset(): void };

  constructor(
    readonly id: string,
    private readonly options: HidReaderOptions,
    private readonly deps: { system: HidSystem; clock: Clock; logger: Logger },
  ) {
    this.backoff = new ReconnectBackoff(options.backoff?.minMs ?? 100, options.backoff?.maxMs ?? 1_000);
    const common = {
      maxBytes: options.maxBytes,
      onFrame: (frame: Buffer) => this.onFrame(frame),
      onOversized: () => this.events?.rejected(this.id, "too_long"),
    };
    this.decoder =
      options.mode === "keyboard"
        ? new KeyboardReportDecoder({
            ...common,
            ...(options.reportId === undefined ? {} : { reportId: options.reportId }),
            onBadKey: () => this.events?.rejected(this.id, "control_characters"),
          })
        : new PosReportDecoder({ ...common, onMalformed: () => this.events?.rejected(this.id, "framing") });
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
    await this.closeDevice();
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    const generation = ++this.generation;
    try {
      const path = matchHidDevice(await this.deps.system.devices(), this.options.device, this.options.mode);
      if (path === undefined) return this.retry();
      const device = await this.deps.system.open(path);
      if (!this.running || generation !== this.generation) {
        await device.close();
        return;
      }
      this.device = device;
      this.openedPath = path;
      device.on("data", (report) => this.decoder.push(report));
      device.on("error", (err) => this.lost(err));
      this.backoff.reset();
      this.watchTimer = setInterval(() => void this.watch(), this.options.watchMs ?? 500);
      this.setState("connected");
    } catch (err) {
      // Once per absence: a reader that stays away is retried quietly.
      if (this.state !== "disconnected")
        this.deps.logger.warn({ reader: this.id, err: describeError(err) }, "HID open failed");
      this.retry();
    }
  }

  private retry(): void {
    if (!this.running) return;
    this.setState("disconnected");
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), this.backoff.delay());
  }

  private async watch(): Promise<void> {
    const path = this.openedPath;
    if (path === undefined) return;
    try {
      const listed = await this.deps.system.devices();
      if (this.openedPath === path && !listed.some((d) => d.path === path))
        this.lost(new Error("device no longer listed"));
    } catch (err) {
      this.lost(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private lost(err: Error): void {
    if (this.device === undefined || !this.running) return;
    this.deps.logger.warn({ reader: this.id, err: describeError(err) }, "HID reader lost");
    void this.closeDevice().then(() => this.retry());
  }

  private async closeDevice(): Promise<void> {
    clearInterval(this.watchTimer);
    this.decoder.reset();
    const device = this.device;
    this.device = undefined;
    this.openedPath = undefined;
    this.generation++;
    if (device === undefined) return;
    device.removeAllListeners();
    device.on("error", () => {});
    await device.close().catch((err: unknown) => {
      this.deps.logger.debug({ reader: this.id, err: describeError(err) }, "HID close failed");
    });
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
