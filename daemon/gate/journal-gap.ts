import { alarmRecord, type JournalRecord } from "../journal/journal-entry.js";

/**
 * Decisions that could not be journaled (disk full, I/O error: each was denied) since the
 * last one that was. The gate writes them as one `journal_gap` alarm in the transaction of
 * the next decision that commits, so the journal says how many decisions it is missing and
 * when, instead of showing nothing. Kept in memory: a gate stopped before it recovers
 * reports the gap only in its log.
 */
export class JournalGap {
  private count = 0;
  private first = 0;
  private last = 0;

  /** One decision at `at` (epoch ms) was not journaled. */
  failed(at: number): void {
    if (this.count === 0) this.first = at;
    this.count++;
    this.last = at;
  }

  /** Decisions missing from the journal since the last one committed. */
  pending(): number {
    return this.count;
  }

  /**
   * The gap record to append before the next decision, or undefined when nothing is
   * missing. Dated at the first missing decision, so it sits in the chain where the gap
   * began; `data` holds the count and the first and last missing decision's time (epoch ms).
   */
  record(gate: string): JournalRecord | undefined {
    if (this.count === 0) return undefined;
    return alarmRecord({
      at: this.first,
      gate,
      reason: "journal_gap",
      data: { count: this.count, first: this.first, last: this.last },
    });
  }

  /** The gap record committed: nothing is missing any more. */
  reported(): void {
    this.count = 0;
  }
}
