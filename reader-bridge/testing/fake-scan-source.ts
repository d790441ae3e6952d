import type { Clock } from "../../platform/clock.js";
import { FrameSplitter } from "../frame-splitter.js";
import type { FeedbackResult, ReaderState, ScanSource, ScanSourceEvents } from "../scan-source.js";
import { scanText } from "../scan-text.js";

/**
 * A reader driven by the test: `emit` gives it raw bytes as a device would send them (LF
 * ends a scan), `unplug`/`replug` move its state. It keeps all state per instance and
 * applies the same bounding and text checks as the real adapters, so the contract suite
 * holds for it too.
 */
export class FakeScanSource implements ScanSource {
  private events: ScanSourceEvents | undefined;
  private plugged = true;
  readonly feedbackSent: FeedbackResult[] = [];
  private readonly splitter: FrameSplitter;

  constructor(
    readonly id: string,
    private readonly clock: Clock,
    maxBytes = 512,
  ) {
    this.splitter = new FrameSplitter({
      terminator: Buffer.from("\n"),
      maxBytes,
      onFrame: (frame) => {
        const result = scanText(frame);
        if ("rejected" in result) this.events?.rejected(this.id, result.rejected);
        else if (result.text.length > 0)
          this.events?.scan({ reader: this.id, text: result.text, at: this.clock.now() });
      },
      onOversized: () => this.events?.rejected(this.id, "too_long"),
    });
  }

  async start(events: ScanSourceEvents): Promise<void> {
    this.events = events;
    this.setState(this.plugged ? "connected" : "disconnected");
  }

  async stop(): Promise<void> {
    this.events = undefined;
    this.splitter.reset();
  }

  /** Bytes from the "device"; ignored while unplugged, as a real unplugged device sends none. */
  emit(bytes: Buffer | string): void {
    if (this.plugged) this.splitter.push(typeof bytes === "string" ? Buffer.from(bytes) : bytes);
  }

  unplug(): void {
    this.plugged = false;
    this.splitter.reset();
    this.setState("disconnected");
  }

  replug(): void {
    this.plugged = true;
    this.setState("connected");
  }

  async feedback(result: FeedbackResult): Promise<void> {
    if (this.plugged) this.feedbackSent.push(result);
  }

  private setState(state: ReaderState): void {
    this.events?.state?.(this.id, state);
  }
}
