import type { Statement } from "better-sqlite3";
import type { Db } from "../../platform/database/database.js";

export interface LockoutPolicy {
  /** Bad tokens that lock a credential out; 0 = never. */
  readonly attempts: number;
  /** Window in which the bad tokens are counted, ms. */
  readonly within: number;
  /** How long the lockout lasts, ms. */
  readonly lockFor: number;
}

/**
 * Counts bad tokens per credential at each reader and locks the credential out at that
 * reader after `attempts` of them within `within` ms. Someone trying forged codes for one
 * person's credential at a reader gets stopped there, while the person's own codes still
 * open the gate's other readers and the site's other gates (docs/decisions.md). Persisted,
 * so a restart does not reset it.
 */
export class LockoutTracker {
  private readonly getStmt: Statement<[string, string], { failures: string; locked_until: number | null }>;
  private readonly putStmt: Statement<[string, string, string, number | null]>;
  /**
   * `reader\ncredential` → locked until (epoch ms), for every lockout the table holds: every
   * scan asks, and only this process's tracker writes the table, so reads come from here.
   * A transaction that rolls back after a failure was counted leaves it stricter, never laxer.
   */
  private readonly locked = new Map<string, number>();

  /** Expects `migrateGateState(db)` to have run. Reads the lockouts in force into memory. */
  constructor(
    db: Db,
    private readonly policy: LockoutPolicy,
  ) {
    this.getStmt = db.prepare(
      "SELECT failures, locked_until FROM lockout WHERE credential = ? AND reader = ?",
    );
    this.putStmt = db.prepare(
      "INSERT INTO lockout (credential, reader, failures, locked_until) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (credential, reader) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
    );
    const rows = db
      .prepare("SELECT credential, reader, locked_until FROM lockout WHERE locked_until IS NOT NULL")
      .all() as { credential: string; reader: string; locked_until: number }[];
    for (const row of rows) this.locked.set(lockKey(row.credential, row.reader), row.locked_until);
  }

  /** Epoch ms until which the credential is locked out at `reader`, if it is at `now`. */
  lockedUntil(credential: string, reader: string, now: number): number | undefined {
    if (this.locked.size === 0) return undefined;
    const until = this.locked.get(lockKey(credential, reader));
    return until !== undefined && until > now ? until : undefined;
  }

  /** Counts one bad token at `reader`; returns the lockout end when this one locks the credential there. */
  recordFailure(credential: string, reader: string, now: number): number | undefined {
    if (this.policy.attempts === 0) return undefined;
    const row = this.getStmt.get(credential, reader);
    const earlier = row === undefined ? [] : (JSON.parse(row.failures) as number[]);
    const recent = [...earlier.filter((t) => now - t < this.policy.within), now].slice(-this.policy.attempts);
    const lockedUntil = recent.length >= this.policy.attempts ? now + this.policy.lockFor : null;
    // A lock already running is kept, not shortened.
    const kept = row?.locked_until != null && row.locked_until > now ? row.locked_until : null;
    const until = lockedUntil ?? kept;
    this.putStmt.run(credential, reader, JSON.stringify(lockedUntil === null ? recent : []), until);
    if (until === null) this.locked.delete(lockKey(credential, reader));
    else this.locked.set(lockKey(credential, reader), until);
    return lockedUntil ?? undefined;
  }
}

function lockKey(credential: string, reader: string): string {
  return `${reader}\n${credential}`;
}
