import { GENESIS_HASH, type HashedFields, hashStoredEntry } from "./hash-chain.js";
import type { JournalHead } from "./journal-entry.js";

/** A `journal` table row as stored. */
export interface JournalRow extends HashedFields {
  readonly data: string;
  readonly prev_hash: string;
  readonly hash: string;
}

/**
 * - `hash_mismatch`: the entry's content no longer gives its hash (a field was edited).
 * - `broken_link`: the entry does not point at the previous entry's hash (entries
 *   reordered, replaced, or an edited entry re-hashed without re-hashing its successors).
 * - `missing_entries`: a gap in seq (entries deleted from the middle or the start).
 * - `head_mismatch`: the last entry is not the recorded head (the last entries deleted,
 *   or the head row edited).
 */
export type ChainProblem = "hash_mismatch" | "broken_link" | "missing_entries" | "head_mismatch";

export interface VerifyReport {
  readonly ok: boolean;
  /** Rows in the journal, all of them, also when a problem was found early. */
  readonly entries: number;
  /** The last entry (seq, stored hash); null when the journal is empty. */
  readonly head: JournalHead | null;
  /** The first seq at which the chain is wrong: only the first problem is reported. */
  readonly firstBadSeq?: number;
  readonly problem?: ChainProblem;
  /** One line for a person, e.g. "entry edited (hash mismatch)". */
  readonly message?: string;
}

interface Finding {
  readonly firstBadSeq: number;
  readonly problem: ChainProblem;
  readonly message: string;
}

/**
 * Checks a journal: `rows` in ascending seq order (streamed; each is looked at once) and
 * the head row recorded beside them, read in the same snapshot. Recomputes every hash
 * over the stored text, checks seq runs 1, 2, 3… and each prev_hash links to the entry
 * before. Pure: no I/O of its own.
 */
export function verifyChain(
  rows: Iterable<JournalRow>,
  recordedHead: JournalHead,
  /** Where the kept chain starts: the last pruned entry (genesis when none was pruned). */
  anchor: JournalHead = { seq: 0, hash: GENESIS_HASH },
): VerifyReport {
  let entries = 0;
  let expectedSeq = anchor.seq + 1;
  let prevHash = anchor.hash;
  let finding: Finding | undefined;
  for (const row of rows) {
    entries++;
    // After the first problem only counting and the last row matter.
    if (finding === undefined) finding = checkRow(row, expectedSeq, prevHash);
    expectedSeq = row.seq + 1;
    prevHash = row.hash;
  }
  const head = entries === 0 && anchor.seq === 0 ? null : { seq: expectedSeq - 1, hash: prevHash };
  finding ??= checkHead(expectedSeq - 1, prevHash, recordedHead);
  if (finding === undefined) return { ok: true, entries, head };
  return { ok: false, entries, head, ...finding };
}

function checkRow(row: JournalRow, expectedSeq: number, prevHash: string): Finding | undefined {
  if (row.seq > expectedSeq) {
    const range = row.seq - 1 === expectedSeq ? `#${expectedSeq}` : `#${expectedSeq}–#${row.seq - 1}`;
    return {
      firstBadSeq: expectedSeq,
      problem: "missing_entries",
      message: `entries missing (${range} deleted)`,
    };
  }
  if (row.seq < expectedSeq) {
    // Only a seq of 0 or below can get here, as rows come in ascending order.
    return { firstBadSeq: row.seq, problem: "broken_link", message: `entry #${row.seq} is out of sequence` };
  }
  if (hashStoredEntry(row.prev_hash, row, row.data) !== row.hash) {
    return { firstBadSeq: row.seq, problem: "hash_mismatch", message: "entry edited (hash mismatch)" };
  }
  if (row.prev_hash !== prevHash) {
    const before = row.seq === 1 ? "the start of the chain" : `#${row.seq - 1} (or the pruning anchor)`;
    return {
      firstBadSeq: row.seq,
      problem: "broken_link",
      message: `chain broken (entry does not link to ${before}: reordered, replaced or re-hashed)`,
    };
  }
  return undefined;
}

function checkHead(lastSeq: number, lastHash: string, recorded: JournalHead): Finding | undefined {
  if (recorded.seq > lastSeq) {
    const range = recorded.seq === lastSeq + 1 ? `#${recorded.seq}` : `#${lastSeq + 1}–#${recorded.seq}`;
    return {
      firstBadSeq: lastSeq + 1,
      problem: "head_mismatch",
      message: `last entries missing (${range} deleted; the head records #${recorded.seq})`,
    };
  }
  if (recorded.seq < lastSeq) {
    return {
      firstBadSeq: recorded.seq + 1,
      problem: "head_mismatch",
      message: `entries after the recorded head #${recorded.seq} (head row edited, or entries added around the journal)`,
    };
  }
  if (recorded.hash !== lastHash) {
    return {
      firstBadSeq: lastSeq,
      problem: "head_mismatch",
      message: `the head row's hash does not match entry #${lastSeq} (head row or last entry edited)`,
    };
  }
  return undefined;
}
