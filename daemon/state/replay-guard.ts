import type { Statement } from "better-sqlite3";
import type { Db } from "../../platform/database/database.js";

/**
 * Remembers which (credential, step) pairs have opened a gate, so a token (or a
 * screenshot of it) opens at most once (pass-token.md step 6), also across a restart.
 *
 * Two sources, one answer, all held in memory so a scan's check is a map lookup:
 * - the gate's own grants (`remember`): the durable record of each is its journal entry
 *   (credential and step), committed before the grant is reported; at start the gate
 *   rebuilds them from the journal (daemon/gate/replay-rebuild.ts), so a grant costs its
 *   decision's commit no replay page;
 * - pairs other gates of the site shared (`accept`), which no journal entry here records:
 *   kept in the `replay` table too, and read back from it when the guard is built.
 * Only this process writes the table, so the map never goes stale. A pair is pruned once
 * its step can no longer verify.
 */
export class ReplayGuard {
  private readonly acceptStmt: Statement<[string, number, number]>;
  private readonly pruneStmt: Statement<[number]>;
  /** `step:credential` → when the step stops verifying (epoch ms). */
  private readonly live = new Map<string, number>();
  private lostUpTo: number | undefined;

  /** Expects `migrateGateState(db)` to have run. Loads the shared pairs of the table. */
  constructor(db: Db) {
    this.acceptStmt = db.prepare(
      "INSERT OR IGNORE INTO replay (credential, step, expires_at) VALUES (?, ?, ?)",
    );
    this.pruneStmt = db.prepare("DELETE FROM replay WHERE expires_at <= ?");
    const rows = db.prepare("SELECT credential, step, expires_at FROM replay").all() as {
      credential: string;
      step: number;
      expires_at: number;
    }[];
    for (const row of rows) this.keep(row.credential, row.step, row.expires_at);
  }

  seen(credential: string, step: number): boolean {
    return this.live.has(pairKey(credential, step));
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
   * Records a pair another gate shared, in the table and in memory. `expiresAt` (epoch ms)
   * is when the step stops verifying: `(step + window + 1) * period` seconds.
   */
  accept(credential: string, step: number, expiresAt: number): void {
    this.acceptStmt.run(credential, step, expiresAt);
    this.keep(credential, step, expiresAt);
  }

  /**
   * Records a pair this gate granted, in memory only. Call it once the journal entry that
   * records the grant (its credential and step) has committed: that entry is what a restart
   * rebuilds the pair from.
   */
  remember(credential: string, step: number, expiresAt: number): void {
    this.keep(credential, step, expiresAt);
  }

  /** Forgets pairs that can no longer verify; returns how many left the table. */
  prune(now: number): number {
    for (const [key, expiresAt] of this.live) if (expiresAt <= now) this.live.delete(key);
    return this.pruneStmt.run(now).changes;
  }

  /** Pairs held (shared and own), for tests and status. */
  get size(): number {
    return this.live.size;
  }

  private keep(credential: string, step: number, expiresAt: number): void {
    const key = pairKey(credential, step);
    const held = this.live.get(key);
    if (held === undefined || held < expiresAt) this.live.set(key, expiresAt);
  }
}

function pairKey(credential: string, step: number): string {
  return `${step}:${credential}`;
}

/** When a token of `step` stops verifying, in epoch ms. */
export function replayExpiry(step: number, periodSeconds: number, window: number): number {
  return (step + window + 1) * periodSeconds * 1000;
}
