/**
 * Splits a device's byte stream into frames on a terminator of one or more bytes (CR, LF,
 * CRLF or custom), holding at most `maxBytes` of an unfinished frame in one fixed buffer:
 * memory stays bounded whatever the device sends, also when it never sends a terminator.
 * A longer frame is dropped whole and reported once, at its terminator or at `flush`.
 * With an empty terminator, frames end only at `flush` (the inter-byte timeout).
 * Only the terminator is removed: spaces are data.
 *
 * Written here rather than taken from @serialport/parser-readline / parser-delimiter: those
 * concatenate chunks until a delimiter arrives with no upper bound (a scanner left
 * streaming without a terminator grows the buffer forever), cannot say that a frame was
 * too long, and have no inter-byte flush for scanners that send no terminator at all.
 */
export interface FrameSplitterOptions {
  readonly terminator: Buffer;
  /** Longest frame delivered, without the terminator. */
  readonly maxBytes: number;
  readonly onFrame: (frame: Buffer) => void;
  readonly onOversized: () => void;
}

export class FrameSplitter {
  private readonly buf: Buffer;
  private len = 0;
  private overflowing = false;
  private readonly term: Buffer;

  constructor(private readonly options: FrameSplitterOptions) {
    this.term = options.terminator;
    this.buf = Buffer.alloc(options.maxBytes + Math.max(1, this.term.length));
  }

  /** True while part of a frame is held (the inter-byte timer only runs then). */
  get pending(): boolean {
    return this.len > 0 || this.overflowing;
  }

  push(chunk: Buffer): void {
    const tl = this.term.length;
    const last = tl > 0 ? this.term[tl - 1] : -1;
    for (let i = 0; i < chunk.length; i++) {
      if (this.len === this.buf.length) this.overflow();
      const b = chunk[i]!;
      this.buf[this.len++] = b;
      if (b === last && this.len >= tl && this.endsWithTerminator()) this.finish(this.len - tl);
    }
  }

  /** Ends the frame held so far (inter-byte timeout, end of input); an empty one is skipped. */
  flush(): void {
    if (this.pending) this.finish(this.len);
  }

  /** Forgets a partial frame (the device went away mid-scan). */
  reset(): void {
    this.len = 0;
    this.overflowing = false;
  }

  private endsWithTerminator(): boolean {
    const tl = this.term.length;
    for (let j = 0; j < tl; j++) if (this.buf[this.len - tl + j] !== this.term[j]) return false;
    return true;
  }

  /** Past the limit: drop the content, keeping only the bytes that may start a split terminator. */
  private overflow(): void {
    const keep = Math.max(0, this.term.length - 1);
    this.buf.copy(this.buf, 0, this.len - keep, this.len);
    this.len = keep;
    this.overflowing = true;
  }

  private finish(contentLength: number): void {
    const wasOverflowing = this.overflowing;
    const frame = wasOverflowing ? undefined : Buffer.from(this.buf.subarray(0, contentLength));
    this.reset();
    if (frame === undefined) this.options.onOversized();
    else if (frame.length > this.options.maxBytes) this.options.onOversized();
    else this.options.onFrame(frame);
  }
}
