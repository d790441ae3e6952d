import type { JournalEntry } from "../daemon/journal/journal-entry.js";
import type { UploadEvent } from "./registry-client.js";

/**
 * A batch of journal entries as the registry's events API takes them (registry-sync.md),
 * oldest first: the decisions, and the two follow-ups the registry must know of to count
 * passages and decisions right: a grant whose relay never opened (`not_opened`) and
 * decisions the journal is missing (`journal_gap`). Alarms, mode changes and sensed
 * passages stay local for now. A grant whose `not_opened` is in the same batch is sent
 * with `passed: false`; the follow-up itself is sent too, since the grant may have gone
 * in an earlier batch, before its relay had answered.
 */
export function toUploadEvents(entries: readonly JournalEntry[]): UploadEvent[] {
  const notOpened = new Set<unknown>();
  for (const e of entries) if (isNotOpened(e)) notOpened.add(e.data.decision);
  const events: UploadEvent[] = [];
  for (const e of entries) {
    if (isUploaded(e)) events.push(toUploadEvent(e, notOpened.has(e.id)));
  }
  return events;
}

/**
 * One entry as a spec event. Built field by field from what the journal holds, which never
 * includes the scan text: the credential and person are ids the gate resolved from its
 * allowlist, null for an unknown scan. `passed`: until a passage sensor reports passages, a
 * grant counts as one (as anti-passback does), unless its relay never opened. The spec has
 * no field for a follow-up, so:
 * - `not_opened` goes as its own event with the grant's credential, person and reader,
 *   `result: null` (it is no decision), `reason: "not_opened"`, `passed: false`;
 * - `journal_gap` goes as `result: "denied"` (every decision the journal missed was
 *   denied), `reason: "journal_gap"`, `passed: false`, `at` the first missing decision.
 */
export function toUploadEvent(entry: JournalEntry, notOpened = false): UploadEvent {
  const decision = entry.kind === "decision";
  return {
    id: entry.id,
    gate: entry.gate,
    reader: entry.reader,
    at: new Date(entry.at).toISOString(),
    credential: entry.credential,
    person: entry.person,
    result: decision ? entry.result : isGap(entry) ? "denied" : null,
    reason: entry.reason,
    passed: decision && entry.result === "granted" && !notOpened,
  };
}

/** Entries the events API carries: decisions, relays that never opened for a grant, journal gaps. */
export function isUploaded(entry: JournalEntry): boolean {
  return entry.kind === "decision" || isNotOpened(entry) || isGap(entry);
}

function isNotOpened(entry: JournalEntry): boolean {
  return entry.kind === "passage" && entry.reason === "not_opened";
}

function isGap(entry: JournalEntry): boolean {
  return entry.kind === "alarm" && entry.reason === "journal_gap";
}
