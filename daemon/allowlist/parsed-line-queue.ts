import { type BodyLineParser, MALFORMED, type ParsedLine } from "./body-line-parser.js";

/** One line taken from the queue: its bytes (without LF), what it parsed to, its number in the body. */
export interface QueuedLine {
  readonly bytes: Buffer;
  readonly parsed: ParsedLine;
  readonly lineNumber: number;
}

interface SentBatch {
  readonly bytes: Buffer;
  readonly ends: readonly number[];
  /** The number of the batch's first line. */
  readonly first: number;
  readonly parsed: Promise<ParsedLine[]>;
  /** Kept back by `take` while newer batches are parsed, so checking overlaps parsing. */
  readonly ahead: boolean;
}

/** How the next lines are parsed: by which parser, how many in one batch, and whether to parse ahead. */
export interface ParsingPlan {
  readonly parser: BodyLineParser;
  readonly batchLines: number;
  readonly ahead: boolean;
}

/**
 * A body's split lines on their way to being parsed, in order: `add` copies each line into
 * the batch being filled and sends the batch to the plan's parser once it holds the plan's
 * number of lines; `take` hands the lines back with their values, in body order.
 *
 * Bounded: a batch is sent when full, and `take` keeps back at most `keepAhead` batches
 * (the caller takes after each chunk), so a body never waits here whole.
 */
export class ParsedLineQueue {
  private bytes = Buffer.allocUnsafeSlow(64 * 1024);
  private length = 0;
  private ends: number[] = [];
  private first = 1;
  private readonly sent: SentBatch[] = [];

  /** `plan` is asked again for each batch: the header decides how the rest of a body is parsed. */
  constructor(private readonly plan: () => ParsingPlan) {}

  /** Copies `line` (a view of a chunk, valid only during the call) into the batch. */
  add(line: Buffer): void {
    const needed = this.length + line.length;
    if (needed > this.bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(needed, this.bytes.length * 2));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    line.copy(this.bytes, this.length);
    this.length = needed;
    this.ends.push(needed);
    if (this.ends.length >= this.plan().batchLines) this.send();
  }

  /** Sends the batch being filled, however few lines it holds (at the end of a body). */
  send(): void {
    if (this.ends.length === 0) return;
    const { parser, ahead } = this.plan();
    const bytes = this.bytes.subarray(0, this.length);
    const parsed = parser.parse({ bytes, ends: this.ends });
    // A batch sent ahead is never awaited once the body is refused: how it ends is of no interest.
    parsed.catch(() => undefined);
    this.sent.push({ bytes, ends: this.ends, first: this.first, parsed, ahead });
    this.first += this.ends.length;
    this.bytes = Buffer.allocUnsafeSlow(this.bytes.length);
    this.length = 0;
    this.ends = [];
  }

  /**
   * The lines of the oldest sent batch once it is parsed, or undefined when there is none,
   * or when it was sent ahead and no more than `keepAhead` batches are waiting.
   */
  async take(keepAhead: number): Promise<QueuedLine[] | undefined> {
    const oldest = this.sent[0];
    if (oldest === undefined || (oldest.ahead && this.sent.length <= keepAhead)) return undefined;
    const parsed = await oldest.parsed;
    this.sent.shift();
    const lines: QueuedLine[] = [];
    let start = 0;
    for (let i = 0; i < oldest.ends.length; i++) {
      const end = oldest.ends[i] as number;
      lines.push({
        bytes: oldest.bytes.subarray(start, end),
        // A value the parser did not return is no JSON the gate read: refused as malformed.
        parsed: parsed[i] ?? MALFORMED,
        lineNumber: oldest.first + i,
      });
      start = end;
    }
    return lines;
  }
}
