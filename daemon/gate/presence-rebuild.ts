import type { Direction } from "../../config/schema.js";
import type { Journal } from "../journal/journal.js";
import type { PresenceStore } from "../state/presence-store.js";

/** Entries read per batch: bounded memory whatever the journal holds. */
const BATCH = 1000;

/**
 * At start, before any decision: writes to the presence table the passages of granted
 * decisions the journal holds but the table may not (the gate stopped, or crashed, within
 * a second of them: daemon/state/presence-store.ts). Only entries after the table's
 * `presence_applied` seq are read; on the first start of a database without one, every
 * earlier entry was written by a passgate that wrote presence in the decision's commit, so
 * the head is recorded and nothing is read. Returns how many passages it wrote.
 */
export function writeJournaledPassages(journal: Journal, presence: PresenceStore): number {
  const head = journal.head()?.seq ?? 0;
  const applied = presence.appliedThrough();
  if (applied === undefined) return presence.replayJournaled([], head);
  return presence.replayJournaled(journaledPassages(journal, applied), head);
}

function* journaledPassages(
  journal: Journal,
  after: number,
): Generator<{ seq: number; person: string; zone: string; direction: Direction; at: number }> {
  let seq = after;
  for (;;) {
    const entries = journal.since(seq, BATCH);
    if (entries.length === 0) return;
    for (const e of entries) {
      seq = e.seq;
      const zone = e.data.zone;
      if (
        e.kind === "decision" &&
        e.result === "granted" &&
        typeof zone === "string" &&
        e.person !== null &&
        e.direction !== null
      )
        yield { seq: e.seq, person: e.person, zone, direction: e.direction, at: e.at };
    }
  }
}
