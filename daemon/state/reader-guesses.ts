import type { Statement } from "better-sqlite3";
import type { Db } from "../../platform/database/database.js";

export interface GuessLimit {
  /** Bad codes a reader takes before it is throttled; 0 turns the limit off. */
  readonly burst: number;
  /** One more bad code is allowed every this many ms. */
  readonly every: number;
}

/**
 * A budget of guesses per reader (a token bucket, persisted): each bad code (a signature or
 * TOTP that does not verify, for a credential the allowlist has) takes one; one comes back
 * every `every` ms, up to `burst`. With none left, the reader refuses every scan, without
 * verifying it, until one comes back: a person guessing codes at a reader gets `burst` tries
 * and then one per `every`, whoever's credential they try, while the person whose id they
 * use still passes at every other reader. docs/decisions.md works out what that allows.
 */
export class ReaderGuesses {
  private readonly getStmt: Statement<[string], { tokens: number; updated_at: number }>;
  private readonly putStmt: Statement<[string, number, number]>;
  /**
   * Each reader's row as last read or written (null: none yet): every scan asks, and only
   * this process writes the table, so a reader's row is read from disk once.
   */
  private readonly rows = new Map<string, { tokens: number; updated_at: number } | null>();

  /** Expects `migrateGateState(db)` to have run. */
  constructor(
    db: Db,
    private readonly limit: GuessLimit,
  ) {
    this.getStmt = db.prepare("SELECT tokens, updated_at FROM reader_guesses WHERE reader = ?");
    this.putStmt = db.prepare(
      "INSERT INTO reader_guesses (reader, tokens, updated_at) VALUES (?, ?, ?) " +
        "ON CONFLICT (reader) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at",
    );
  }

  /** Epoch ms until which `reader` refuses every scan, if it is throttled at `now`. */
  throttledUntil(reader: string, now: number): number | undefined {
    if (this.limit.burst === 0) return undefined;
    const tokens = this.tokens(reader, now);
    if (tokens >= 1) return undefined;
    // The next whole token, counted from the last change: a clock stepped back waits no longer than `every`.
    return now + Math.min(this.limit.every, Math.ceil((1 - tokens) * this.limit.every));
  }

  /** Takes one guess from `reader`'s budget; true when this one used up the last. */
  recordGuess(reader: string, now: number): boolean {
    if (this.limit.burst === 0) return false;
    const tokens = Math.max(0, this.tokens(reader, now) - 1);
    this.putStmt.run(reader, tokens, now);
    this.rows.set(reader, { tokens, updated_at: now });
    return tokens < 1;
  }

  private tokens(reader: string, now: number): number {
    let row = this.rows.get(reader);
    if (row === undefined) {
      row = this.getStmt.get(reader) ?? null;
      this.rows.set(reader, row);
    }
    if (row === null) return this.limit.burst;
    // A clock stepped back refills nothing (and takes nothing back).
    const elapsed = Math.max(0, now - row.updated_at);
    return Math.min(this.limit.burst, row.tokens + elapsed / this.limit.every);
  }
}
