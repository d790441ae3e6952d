import type { Readable } from "node:stream";
import type { Clock } from "../platform/clock.js";
import { LineSplitter } from "./line-splitter.js";
import type { ScanSource, ScanSourceEvents } from "./scan-source.js";
import { scanText } from "./scan-text.js";

/**
 * Scans from a text stream, one per line (LF or CRLF): `generate tokens | passgate run`.
 * The stream is injected (the daemon passes process.stdin) so tests can drive it.
 */
export class StreamScanSource implements ScanSource {
  private events: ScanSourceEvents | undefined;
  private splitter: LineSplitter | undefined;
  private readonly onData = (chunk: Buffer | string) => {
    this.splitter?.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  };
  private readonly onEnd = () => this.splitter?.end();

  constructor(
    readonly id: string,
    private readonly input: Readable,
    private readonly clock: Clock,
  ) {}

  async start(events: ScanSourceEvents): Promise<void> {
    this.events = events;
    this.splitter = new LineSplitter(
      (line) => {
        const result = scanText(line);
        if ("rejected" in result) this.events?.rejected(this.id, result.rejected);
        else if (result.text.length > 0)
          this.events?.scan({ reader: this.id, text: result.text, at: this.clock.now() });
      },
      () => this.events?.rejected(this.id, "too_long"),
    );
    this.input.on("data", this.onData);
    this.input.on("end", this.onEnd);
  }

  async stop(): Promise<void> {
    this.input.off("data", this.onData);
    this.input.off("end", this.onEnd);
    this.events = undefined;
  }
}
