const LF = 0x0a;

/** A line grew past the limit before its LF arrived. */
export class LineTooLongError extends Error {
  readonly code = "LINE_TOO_LONG";
  constructor(
    readonly lineNumber: number,
    readonly maxLineBytes: number,
  ) {
    super(`line ${lineNumber} is longer than ${maxLineBytes} bytes`);
  }
}

/**
 * Splits a byte stream into LF-terminated lines, handing each to `onLine` as it completes,
 * without its LF. Memory stays bounded by `maxLineBytes` (bytes of a line, not counting the
 * LF): a longer line throws `LineTooLongError` as soon as it passes the limit, without
 * waiting for its end. Lines inside one chunk are passed as views of the chunk, not copies;
 * `onLine` must not keep them past the call.
 */
export class LineSplitter {
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  private lines = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: Buffer, lineNumber: number) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      if (lf === -1) {
        this.keepPartial(chunk.subarray(start));
        return;
      }
      let line = chunk.subarray(start, lf);
      if (this.pendingBytes > 0) {
        this.checkLength(this.pendingBytes + line.length);
        this.pending.push(line);
        line = Buffer.concat(this.pending, this.pendingBytes + line.length);
        this.pending.length = 0;
        this.pendingBytes = 0;
      } else {
        this.checkLength(line.length);
      }
      this.lines++;
      this.onLine(line, this.lines);
      start = lf + 1;
    }
  }

  /** Lines completed so far. */
  get lineCount(): number {
    return this.lines;
  }

  /** Bytes received after the last LF: more than 0 at the end of input means the last line was cut. */
  get partialBytes(): number {
    return this.pendingBytes;
  }

  private keepPartial(piece: Buffer): void {
    this.checkLength(this.pendingBytes + piece.length);
    this.pending.push(piece);
    this.pendingBytes += piece.length;
  }

  private checkLength(bytes: number): void {
    if (bytes > this.maxLineBytes) throw new LineTooLongError(this.lines + 1, this.maxLineBytes);
  }
}
