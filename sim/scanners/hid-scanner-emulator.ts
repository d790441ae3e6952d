import { keyboardReportsPerChar, posReports } from "./hid-reports.js";
import {
  framedRead,
  paced,
  repeatReads,
  type ScanTyping,
  type ScanTypingOptions,
  scanTyping,
} from "./scan-typing.js";

/** Where the emulator's input reports go: a fake node-hid device, a decoder, a recording. */
export type HidReportSink = (report: Buffer) => void | Promise<void>;

export interface HidScannerOptions extends ScanTypingOptions {
  /** keyboard: a keyboard-wedge scanner (boot keyboard reports); pos: a HID POS scanner. */
  readonly mode: "keyboard" | "pos";
  /** Keyboard mode: a report id byte put before each report, as some composite devices do. */
  readonly reportId?: number;
}

/**
 * A USB HID barcode scanner as a stream of input reports. In keyboard mode it types the
 * code on a US layout and ends it with Enter (terminator `cr`, the default) or nothing
 * (`none`); `charDelayMs` paces the key presses. In POS mode the code (with any prefix,
 * suffix and terminator the scanner is set to add, none by default) goes into Scanned
 * Data reports; `charDelayMs` paces the reports. Each scan is read `reads` times.
 */
export class HidScannerEmulator {
  private readonly typing: ScanTyping;

  constructor(
    private readonly options: HidScannerOptions,
    private readonly sink: HidReportSink,
  ) {
    this.typing = scanTyping({ terminator: options.mode === "pos" ? "none" : "cr", ...options });
    if (options.mode === "keyboard" && (this.typing.terminator === "lf" || this.typing.terminator === "crlf"))
      throw new RangeError("a keyboard-wedge scanner ends a code with Enter (cr) or nothing (none)");
  }

  /** The reports of one read of `text`, in order. */
  readReports(text: string): Buffer[] {
    return this.readChunks(text).flat();
  }

  /** Sends one scan of `text` (a live token: never logged) with the configured reads and pacing. */
  async scan(text: string): Promise<void> {
    const chunks = this.readChunks(text);
    await repeatReads(this.typing, () =>
      paced(chunks, this.typing.charDelayMs, async (reports) => {
        for (const report of reports) await this.sink(report);
      }),
    );
  }

  /** One read as groups sent together: a key's press and release, or one POS report. */
  private readChunks(text: string): Buffer[][] {
    const { prefix, suffix, terminator } = this.typing;
    if (this.options.mode === "pos") {
      return posReports(framedRead(text, this.typing)).map((r) => [r]);
    }
    const perChar = keyboardReportsPerChar(`${prefix}${text}${suffix}`, { enter: terminator === "cr" });
    const id = this.options.reportId;
    return id === undefined
      ? perChar
      : perChar.map((reports) => reports.map((r) => Buffer.concat([Buffer.of(id), r])));
  }
}
