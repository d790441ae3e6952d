/** What an entry is about: a scan's `decision`, or what followed it or else happened at the gate (docs/journal.md). */
export const JOURNAL_KINDS = ["decision", "passage", "mode", "alarm", "system"] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];

/**
 * What a caller records; the journal adds seq, id and hashes. Never a raw token or scan
 * text: `credential` is the credential id and `step` the token's time step, which is
 * enough for replay forensics without ever storing something that could open a gate.
 */
export interface JournalRecord {
  readonly kind: JournalKind;
  /** When it happened, epoch ms (an integer). */
  readonly at: number;
  readonly gate: string;
  /** Reader id. */
  readonly reader: string | null;
  readonly direction: "in" | "out" | null;
  /** Credential id (decimal string), never the scan text. */
  readonly credential: string | null;
  readonly person: string | null;
  /** Token time step (an integer), for replay forensics. */
  readonly step: number | null;
  readonly result: "granted" | "denied" | null;
  readonly reason: string | null;
  /**
   * Extra fields (flags, rule name, mode…): plain JSON values only (objects, arrays,
   * strings, finite numbers, booleans, null), at most `MAX_DATA_CHARS` once serialised.
   */
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * The record of an alarm (a forced passage, a reader throttled, a bridge gone): about no
 * credential or person, at a reader when there is one.
 */
export function alarmRecord(alarm: {
  readonly at: number;
  readonly gate: string;
  readonly reason: string;
  readonly reader?: { readonly id: string; readonly direction: "in" | "out" } | undefined;
  readonly data?: Readonly<Record<string, unknown>>;
}): JournalRecord {
  return {
    kind: "alarm",
    at: alarm.at,
    gate: alarm.gate,
    reader: alarm.reader?.id ?? null,
    direction: alarm.reader?.direction ?? null,
    credential: null,
    person: null,
    step: null,
    result: null,
    reason: alarm.reason,
    data: alarm.data ?? {},
  };
}

/**
 * The record of something the gate did of itself or for an operator (a test pulse, a lane
 * opened by hand): about no reader, credential or person.
 */
export function systemRecord(entry: {
  readonly at: number;
  readonly gate: string;
  readonly reason: string;
  readonly data: Readonly<Record<string, unknown>>;
}): JournalRecord {
  return {
    kind: "system",
    at: entry.at,
    gate: entry.gate,
    reader: null,
    direction: null,
    credential: null,
    person: null,
    step: null,
    result: null,
    reason: entry.reason,
    data: entry.data,
  };
}

/**
 * The follow-up of a grant whose relay never opened (the pulse failed with `error`: a
 * RelayError code), at `at`: a `not_opened` passage about the grant's reader, credential
 * and person, linked to it by `data.decision`.
 */
export function notOpenedRecord(
  grant: JournalEntry,
  pulse: { readonly relay: string; readonly error?: string | undefined },
  at: number,
): JournalRecord {
  return {
    kind: "passage",
    at,
    gate: grant.gate,
    reader: grant.reader,
    direction: grant.direction,
    credential: grant.credential,
    person: grant.person,
    step: null,
    result: null,
    reason: "not_opened",
    data: { decision: grant.id, relay: pulse.relay, error: pulse.error ?? "error" },
  };
}

/** A committed record: its place in the chain and its identity. */
export interface JournalEntry extends JournalRecord {
  /** 1, 2, 3…: no gaps, so a deleted entry shows. */
  readonly seq: number;
  /** UUID v4, the event id later uploaded to the registry. */
  readonly id: string;
  /** `hash` of entry `seq - 1`; `GENESIS_HASH` for entry 1. */
  readonly prevHash: string;
  /** SHA-256 (hex) of the canonical form of this entry, `prevHash` included: see hash-chain.ts. */
  readonly hash: string;
}

/** The newest entry's place in the chain. */
export interface JournalHead {
  readonly seq: number;
  readonly hash: string;
}

/** Upper bound of `data` as canonical JSON, in UTF-16 code units: the journal is not a blob store. */
export const MAX_DATA_CHARS = 4096;
