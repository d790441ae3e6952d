import type { Db } from "./database.js";

/**
 * SQLite's own word that the file is damaged: `SQLITE_CORRUPT` (with its extended codes,
 * `SQLITE_CORRUPT_INDEX`…) or `SQLITE_NOTADB`. Any other error (busy, full, read-only) is
 * a condition that can pass; these never do until the file is replaced.
 */
export function isCorruptionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB");
}

/** At most this many of quick_check's lines are kept: the first say enough, and a log line stays short. */
const MAX_FINDINGS = 5;

/**
 * Runs `PRAGMA quick_check` (every page and record, not the indexes against their tables:
 * about 0.5 s per 10⁶ credentials, docs/storage.md) and returns what it found, or
 * undefined when the file is whole. Corruption thrown while checking is a finding too;
 * any other error is thrown.
 */
export function quickCheck(db: Db): string | undefined {
  let lines: string[];
  try {
    lines = (db.pragma(`quick_check(${MAX_FINDINGS})`) as { quick_check: string }[]).map(
      (r) => r.quick_check,
    );
  } catch (err) {
    if (isCorruptionError(err)) return (err as Error).message;
    throw err;
  }
  return lines.length === 1 && lines[0] === "ok" ? undefined : lines.join("; ");
}

/** What was found wrong with the database file, and when. */
export interface CorruptionFinding {
  /** Epoch ms of the first sign. */
  readonly at: number;
  /** Where it showed: `quick_check at start`, or the operation that met SQLITE_CORRUPT. */
  readonly where: string;
  /** SQLite's words (quick_check's first lines, or the error message). */
  readonly detail: string;
}

/**
 * What the decision path may know of the database file: whether it is known to be damaged,
 * and a place to report an error it met. The gate's storage implements it
 * (app/components/storage.ts).
 */
export interface DatabaseCondition {
  /** True once the file is known to be damaged; it stays so until the gate restarts on a good file. */
  corrupt(): boolean;
  /**
   * Tells of an error met on the database (`where`: what was being done). Returns true when
   * it is SQLite saying the file is damaged (the first one is logged and alarmed once).
   */
  noteError(err: unknown, where: string): boolean;
}
