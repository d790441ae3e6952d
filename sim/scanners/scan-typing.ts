import { setTimeout as sleep } from "node:timers/promises";

/** What a scanner sends after each code, as set in its configuration barcodes. */
export type ScanTerminator = "cr" | "lf" | "crlf" | "none";

const TERMINATOR_BYTES: Record<ScanTerminator, string> = { cr: "\r", lf: "\n", crlf: "\r\n", none: "" };

/**
 * How a scanner types a code, the settings real devices have. Defaults: CR, no
 * affixes, no pacing, one read per scan.
 */
export interface ScanTypingOptions {
  readonly terminator?: ScanTerminator;
  /** Bytes the scanner is set to send before each code (e.g. a reader id). */
  readonly prefix?: string;
  /** Bytes sent after the code, before the terminator. */
  readonly suffix?: string;
  /**
   * Pause between characters in ms (0: the whole read at once). Real USB-CDC and
   * keyboard-wedge scanners trickle a code out over 10–50 ms.
   */
  readonly charDelayMs?: number;
  /**
   * Reads of the same code per scan. A scanner in continuous (presentation) mode left
   * facing a phone reads it again every ~100 ms: 2–4 reads within ~300 ms is typical,
   * and the gate's duplicate filter must decide it once.
   */
  readonly reads?: number;
  /** Pause between two reads of the same code, ms; default 100. */
  readonly rereadGapMs?: number;
}

/** The resolved typing settings. */
export interface ScanTyping {
  readonly terminator: ScanTerminator;
  readonly prefix: string;
  readonly suffix: string;
  readonly charDelayMs: number;
  readonly reads: number;
  readonly rereadGapMs: number;
}

export function scanTyping(options: ScanTypingOptions = {}): ScanTyping {
  const typing = {
    terminator: options.terminator ?? "cr",
    prefix: options.prefix ?? "",
    suffix: options.suffix ?? "",
    charDelayMs: options.charDelayMs ?? 0,
    reads: options.reads ?? 1,
    rereadGapMs: options.rereadGapMs ?? 100,
  };
  if (!Number.isInteger(typing.reads) || typing.reads < 1)
    throw new RangeError("reads: expected a whole number ≥ 1");
  if (typing.charDelayMs < 0 || typing.rereadGapMs < 0) throw new RangeError("delays must be ≥ 0 ms");
  return typing;
}

/** The number of reads a scanner in continuous mode makes of one phone: 2, 3 or 4. */
export function continuousReads(random: () => number = Math.random): number {
  return 2 + Math.min(2, Math.floor(random() * 3));
}

/** The bytes of one read: prefix, code, suffix, terminator. */
export function framedRead(text: string, typing: ScanTyping): Buffer {
  return Buffer.from(`${typing.prefix}${text}${typing.suffix}${TERMINATOR_BYTES[typing.terminator]}`, "utf8");
}

/**
 * Sends one scan as `typing` says: each read through `sendRead`, reads `rereadGapMs`
 * apart. Resolves once the last read is sent.
 */
export async function repeatReads(typing: ScanTyping, sendRead: () => Promise<void>): Promise<void> {
  for (let read = 0; read < typing.reads; read++) {
    if (read > 0 && typing.rereadGapMs > 0) await sleep(typing.rereadGapMs);
    await sendRead();
  }
}

/** Sends `chunks` one at a time, `delayMs` apart (all at once when 0). */
export async function paced<T>(
  chunks: readonly T[],
  delayMs: number,
  send: (chunk: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < chunks.length; i++) {
    if (i > 0 && delayMs > 0) await sleep(delayMs);
    await send(chunks[i]!);
  }
}
