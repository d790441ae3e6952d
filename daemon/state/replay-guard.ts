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
  private lostUpTo: number | undefined;

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
   * After an unclean start that may have lost the last commits (daemon/state/run-record.ts):
   * from now on every step that could have verified at or before `at` (epoch ms) counts as
   * used, whatever the table says. Costs the decision path one comparison.
   */
  assumeLostUpTo(at: number | undefined): void {
    this.lostUpTo = at;
  }

  /**
   * Whether a token of `step` (`periodSeconds` long, verified with a window of `window`
   * steps either side) could have been granted before the loss bound, its replay row lost.
   * A step verifies from the start of step `step - window` on.
   */
  possiblyLost(step: number, periodSeconds: number, window: number): boolean {
    return this.lostUpTo !== undefined && (step - window) * periodSeconds * 1000 <= this.lostUpTo;
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
