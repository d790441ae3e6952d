import {
  USAGE_CAPS_LOCK,
  USAGE_ENTER,
  USAGE_ERROR_ROLLOVER,
  USAGE_KEYPAD_ENTER,
  usageToChar,
} from "./hid-usage-table.js";

export interface KeyboardDecoderOptions {
  /** Longest scan held, in bytes; a longer one is dropped whole at its Enter. */
  readonly maxBytes: number;
  /** Set when the device prefixes each report with this report id. */
  readonly reportId?: number;
  readonly onFrame: (frame: Buffer) => void;
  readonly onOversized: () => void;
  /** A key that types no accepted character (Esc, F-keys, Ctrl+…): the scan is refused. */
  readonly onBadKey: () => void;
}

const SHIFT_BITS = 0x02 | 0x20; // left and right Shift in the modifier byte
const CTRL_ALT_GUI_BITS = 0x01 | 0x04 | 0x08 | 0x10 | 0x40 | 0x80;

/**
 * Decodes boot keyboard input reports (modifier byte, reserved byte, six key usages) into
 * scan text, independent of the host's keyboard layout. A key types once when it appears
 * in a report and was not in the previous one, so rollover (a key still held while the
 * next goes down, several new keys in one report) and releases are handled. Caps Lock is
 * tracked from its own key presses, Enter ends the scan. Any other key, or a character
 * typed with Ctrl/Alt/GUI, spoils the scan (reported once, at its Enter).
 */
export class KeyboardReportDecoder {
  private previous = new Set<number>();
  private capsLock = false;
  private text = "";
  private bytes = 0;
  private oversized = false;
  private bad = false;

  constructor(private readonly options: KeyboardDecoderOptions) {}

  push(report: Buffer): void {
    let r = report;
    if (this.options.reportId !== undefined) {
      if (r[0] !== this.options.reportId) return;
      r = r.subarray(1);
    }
    if (r.length < 3) return;
    const modifiers = r[0]!;
    const keys = [...r.subarray(2, 8)].filter((k) => k !== 0);
    if (keys.includes(USAGE_ERROR_ROLLOVER)) return; // phantom state: keep the previous set
    const shift = (modifiers & SHIFT_BITS) !== 0;
    const chord = (modifiers & CTRL_ALT_GUI_BITS) !== 0;
    for (const key of keys) {
      if (this.previous.has(key)) continue;
      this.press(key, shift, chord);
    }
    this.previous = new Set(keys);
  }

  /** Forgets a partial scan (the device went away). */
  reset(): void {
    this.previous = new Set();
    this.clear();
  }

  private press(key: number, shift: boolean, chord: boolean): void {
    if (key === USAGE_CAPS_LOCK) {
      this.capsLock = !this.capsLock;
      return;
    }
    if (key === USAGE_ENTER || key === USAGE_KEYPAD_ENTER) {
      this.finish();
      return;
    }
    const ch = usageToChar(key, shift, this.capsLock);
    if (ch === undefined || chord) {
      this.bad = true;
      return;
    }
    if (this.oversized) return;
    if (this.bytes + 1 > this.options.maxBytes) {
      this.oversized = true;
      this.text = "";
      return;
    }
    this.text += ch;
    this.bytes += 1;
  }

  private finish(): void {
    const { text, oversized, bad } = this;
    this.clear();
    if (oversized) this.options.onOversized();
    else if (bad) this.options.onBadKey();
    else if (text.length > 0) this.options.onFrame(Buffer.from(text, "ascii"));
  }

  private clear(): void {
    this.text = "";
    this.bytes = 0;
    this.oversized = false;
    this.bad = false;
  }
}
