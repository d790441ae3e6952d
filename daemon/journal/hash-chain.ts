import { createHash } from "node:crypto";
import {
  NotCanonicalJsonError,
  canonicalJson as writeCanonicalJson,
} from "../../platform/json/canonical-json.js";
import type { JournalRecord } from "./journal-entry.js";
import { JournalDataError } from "./journal-errors.js";

/** `prevHash` of entry 1. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * First element of every preimage. A future change to what is hashed gets a new tag, so
 * entries of both formats can be told apart and verified.
 */
export const CHAIN_FORMAT = "passgate-journal/1";

/** An entry before it is hashed: the record plus its seq and id. */
export interface UnhashedEntry extends JournalRecord {
  readonly seq: number;
  readonly id: string;
}

/**
 * The fields of an entry that are hashed besides `data`. Typed loosely (string, not the
 * unions) because verification hashes rows as read back, whatever they now hold.
 */
export interface HashedFields {
  readonly seq: number;
  readonly id: string;
  readonly at: number;
  readonly kind: string;
  readonly gate: string;
  readonly reader: string | null;
  readonly direction: string | null;
  readonly credential: string | null;
  readonly person: string | null;
  readonly step: number | null;
  readonly result: string | null;
  readonly reason: string | null;
}

/**
 * SHA-256 (lowercase hex) of entry `entry` following `prevHash`. The journal stores
 * `data` as `canonicalJson(entry.data)`, so this equals `hashStoredEntry` over the row.
 */
export function entryHash(prevHash: string, entry: UnhashedEntry): string {
  return hashStoredEntry(prevHash, entry, canonicalJson(entry.data));
}

/**
 * Same as `entryHash`, with `data` already serialised as stored. Verification hashes the
 * stored text itself, so any edit to it shows, even one that keeps the same meaning.
 */
export function hashStoredEntry(prevHash: string, fields: HashedFields, dataJson: string): string {
  return createHash("sha256")
    .update(preimage(prevHash, fields, dataJson))
    .digest("hex");
}

/**
 * The canonical serialisation that is hashed: a JSON array of the fixed fields in a fixed
 * order, a newline, then the canonical `data` JSON. JSON.stringify never emits a raw
 * newline, so the split is unambiguous; strings, integers and null serialise one way only.
 */
export function preimage(prevHash: string, f: HashedFields, dataJson: string): string {
  const fixed = JSON.stringify([
    CHAIN_FORMAT,
    prevHash,
    f.seq,
    f.id,
    f.at,
    f.kind,
    f.gate,
    f.reader,
    f.direction,
    f.credential,
    f.person,
    f.step,
    f.result,
    f.reason,
  ]);
  return `${fixed}\n${dataJson}`;
}

/**
 * JSON with object keys sorted (by UTF-16 code unit, recursively) and no whitespace, so
 * equal data always gives equal text (platform/json/canonical-json.ts). Accepts plain JSON
 * only and throws `JournalDataError` naming the path of anything else (undefined, NaN, a
 * Date, a Map, a bigint…): what is hashed must read back exactly as written.
 */
export function canonicalJson(value: unknown): string {
  try {
    return writeCanonicalJson(value, { path: "data", maxDepth: MAX_DEPTH, wellFormed: false });
  } catch (err) {
    if (err instanceof NotCanonicalJsonError) throw new JournalDataError(err.message);
    throw err;
  }
}

/** Deeper than this is not "small extra fields", and it stops a cyclic object. */
const MAX_DEPTH = 16;
