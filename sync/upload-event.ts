import type { JournalEntry } from "../daemon/journal/journal-entry.js";
import type { UploadEvent } from "./registry-client.js";

/**
 * A journal entry as the registry's events API takes it (registry-sync.md). Built field by
 * field from what the journal holds, which never includes the scan text: the credential
 * and person are ids the gate resolved from its allowlist, null for an unknown scan.
 * `passed`: until a passage sensor reports passages, a grant counts as one (as anti-passback does).
 */
export function toUploadEvent(entry: JournalEntry): UploadEvent {
  return {
    id: entry.id,
    gate: entry.gate,
    reader: entry.reader,
    at: new Date(entry.at).toISOString(),
    credential: entry.credential,
    person: entry.person,
    result: entry.result,
    reason: entry.reason,
    passed: entry.result === "granted",
  };
}

/** Entries the events API carries: decisions. Other kinds (alarms, mode changes) stay local for now. */
export function isUploaded(entry: JournalEntry): boolean {
  return entry.kind === "decision";
}
