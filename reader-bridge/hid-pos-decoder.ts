export interface PosDecoderOptions {
  /** Longest scan held, in bytes; a longer one is dropped whole when it ends. */
  readonly maxBytes: number;
  readonly onFrame: (frame: Buffer) => void;
  readonly onOversized: () => void;
  /** A report that claims more data than it carries. */
  readonly onMalformed: () => void;
}

/** The Scanned Data report id used by HID POS scanners (usage page 0x8C). */
export const POS_SCANNED_DATA_REPORT_ID = 0x02;
const LENGTH_OFFSET = 1;
/** Three bytes of AIM symbology identifier sit between the length and the data. */
const DATA_OFFSET = 5;
const CONTINUATION_BIT = 0x01;

/**
 * Decodes HID POS (barcode scanner usage page 0x8C) Scanned Data input reports:
 * `[0x02][n][sym1 sym2 sym3][n data bytes …][… flags]`, where bit 0 of the last byte says
 * more data follows in the next report (codes longer than one report). This is the layout
 * of the HID POS scanners we know (Honeywell, Zebra in "HID POS" mode); other report ids
 * (status, feature replies) are ignored. The data bytes are the code itself: no keyboard
 * layout is involved at all, which is why POS mode is the one to choose.
 */
export class PosReportDecoder {
  private parts: Buffer[] = [];
  private held = 0;
  private oversized = false;

  constructor(private readonly options: PosDecoderOptions) {}

  push(report: Buffer): void {
    if (report[0] !== POS_SCANNED_DATA_REPORT_ID || report.length < DATA_OFFSET + 1) return;
    const n = report[LENGTH_OFFSET]!;
    if (DATA_OFFSET + n > report.length) {
      this.reset();
      this.options.onMalformed();
      return;
    }
    const data = report.subarray(DATA_OFFSET, DATA_OFFSET + n);
    const more = (report[report.length - 1]! & CONTINUATION_BIT) !== 0 && DATA_OFFSET + n < report.length;
    if (!this.oversized) {
      if (this.held + data.length > this.options.maxBytes) {
        this.oversized = true;
        this.parts = [];
        this.held = 0;
      } else {
        this.parts.push(Buffer.from(data));
        this.held += data.length;
      }
    }
    if (more) return;
    const { oversized } = this;
    const frame = Buffer.concat(this.parts, this.held);
    this.reset();
    if (oversized) this.options.onOversized();
    else if (frame.length > 0) this.options.onFrame(frame);
  }

  reset(): void {
    this.parts = [];
    this.held = 0;
    this.oversized = false;
  }
}
