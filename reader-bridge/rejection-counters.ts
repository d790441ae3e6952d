import { SCAN_REJECTIONS, type ScanRejection } from "./scan-source.js";

/** Rejections counted per reader and reason, for `readers test`, logs and status. */
export class RejectionCounters {
  private readonly counts = new Map<string, Map<ScanRejection, number>>();

  add(reader: string, reason: ScanRejection): void {
    let perReader = this.counts.get(reader);
    if (perReader === undefined) {
      perReader = new Map();
      this.counts.set(reader, perReader);
    }
    perReader.set(reason, (perReader.get(reason) ?? 0) + 1);
  }

  /** Every reason with its count (zeros included) for one reader. */
  forReader(reader: string): Record<ScanRejection, number> {
    const perReader = this.counts.get(reader);
    return Object.fromEntries(SCAN_REJECTIONS.map((r) => [r, perReader?.get(r) ?? 0])) as Record<
      ScanRejection,
      number
    >;
  }

  /** Readers with at least one rejection, each with its non-zero reasons. */
  snapshot(): Record<string, Partial<Record<ScanRejection, number>>> {
    return Object.fromEntries([...this.counts].map(([reader, m]) => [reader, Object.fromEntries(m)]));
  }
}
