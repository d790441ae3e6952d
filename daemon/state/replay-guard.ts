import type { Statement } from "better-sqlite3";
import type { Db } from "../../platform/database/database.js";

/**
 * Remembers which (credential, step) pairs have opened a gate, so a token (or a
 * screenshot of it) opens at most once (pass-token.md step 6). Kept in SQLite so a
 * restart does not forget; a pair is pruned once its step can no longer verify.
 * Site-wide sharing arrives with the MQTT state sync; this is the gate's own record.
 */
export class ReplayGuard {
  private readonly seenStmt: Statement<[string, number], unknown>;
  private readonly acceptStmt: Statement<[string, number, number]>;
  private readonly pruneStmt: Statement<[number]>;

  /** Expects `migrateGateState(db)` to have run. */
  constructor(db: Db) {
    this.seenStmt = db.prepare("SELECT 1 FROM replay WHERE credential = ? AND step = ?").pluck();
    this.acceptStmt = db.prepare(
      "INSERT OR IGNORE INTO replay (credential, step, expires_at) VALUES (?, ?, ?)",
    );
    this.pruneStmt = db.prepare("DELETE FROM replay WHERE expires_at <= ?");
  }

  seen(credential: string, step: number): boolean {
    return this.seenStmt.get(credential, step) !== undefined;
  }

  /**
   * Records an accepted pair. `expiresAt` (epoch ms) is when the step stops verifying:
   * `(step + window + 1) * period` seconds.
   */
  accept(credential: string, step: number, expiresAt: number): void {
    this.acceptStmt.run(credential, step, expiresAt);
  }

  /** Forgets pairs that can no longer verify; returns how many. */
  prune(now: number): number {
    return this.pruneStmt.run(now).changes;
  }
}

/** When a token of `step` stops verifying, in epoch ms. */
export function replayExpiry(step: number, periodSeconds: number, window: number): number {
  return (step + window + 1) * periodSeconds * 1000;
}
