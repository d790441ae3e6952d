import { MAX_TOKEN_CHARS } from "../daemon/verify/pg1-token.js";

/**
 * Splits a byte stream into lines on LF (with an optional CR before it), holding at most
 * `maxBytes` of an unfinished line: a longer line is dropped whole and reported once,
 * however much more arrives before its terminator. Only the terminator is removed.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  private overflowing = false;

  /** `maxBytes` defaults to the longest valid PG1 token (512) with room for a CR. */
  constructor(
    private readonly onLine: (line: Buffer) => void,
    private readonly onOversized: () => void,
    private readonly maxBytes = MAX_TOKEN_CHARS + 1,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      this.hold(chunk.subarray(start, nl));
      this.finishLine();
      start = nl + 1;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
  }

  /** Ends the input: an unterminated last line is delivered like any other. */
  end(): void {
    if (this.held > 0 || this.overflowing) this.finishLine();
  }

  private hold(piece: Buffer): void {
    if (this.overflowing) return;
    if (this.held + piece.length > this.maxBytes) {
      this.overflowing = true;
      this.parts = [];
      this.held = 0;
      return;
    }
    if (piece.length > 0) {
      this.parts.push(Buffer.from(piece));
      this.held += piece.length;
    }
  }

  private finishLine(): void {
    if (this.overflowing) {
      this.overflowing = false;
      this.onOversized();
      return;
    }
    let line = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.held);
    this.parts = [];
    this.held = 0;
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    this.onLine(line);
  }
}
