import type { PlannedScan, RecentGrant } from "./scenarios.js";
import type { DecidedScan } from "./summary.js";

/** A scan shown at a lane and not decided yet. */
export interface PendingScan {
  readonly plan: PlannedScan;
  readonly gate: string;
  readonly reader: string;
  /** Real time (Date.now()) the reader published it: what late opens are measured from. */
  readonly shownAt: number;
  /** The allowlist version the gate had applied when the scan was shown. */
  readonly version: number;
}

/** A granted scan, for late-open matching and screenshots. */
interface Grant {
  readonly gate: string;
  readonly reader: string;
  readonly shownAt: number;
  readonly decidedAt: number;
  readonly plan: PlannedScan;
}

/** A scan not decided within this long is counted lost (its message died with a connection). */
const LOST_AFTER_MS = 10_000;
/**
 * A lost scan is still matched this long, before any newer scan at its lane: a gate far
 * behind (50 gate processes on 2 cores) decides a lane's scans in the order it got them, so
 * a late decision must go to the oldest scan of that person at the lane, even one given up,
 * and not to a later scan of the same person (a forged code shown after the real one was
 * given up would otherwise take the real one's grant, and count as a false accept).
 */
const LOST_STILL_MATCHED_MS = 120_000;
/** A screenshot is shown at another gate within this long of the grant. */
const SCREENSHOT_WITHIN_MS = 20_000;

/**
 * The campus's book of scans: what was shown where, which decision answered it, and the
 * grants (for screenshots replayed elsewhere and for late-open matching). Pure
 * bookkeeping; times are passed in.
 */
export class ScanLedger {
  private readonly pending = new Map<string, PendingScan[]>();
  /** Per lane, the scans counted lost, oldest first, still matched for LOST_STILL_MATCHED_MS. */
  private readonly overdue = new Map<string, PendingScan[]>();
  private readonly grants: Grant[] = [];
  private readonly usedShots = new Set<Grant>();
  /** Scans not decided yet, by credential id: pending or counted lost, while a decision may still match them. */
  private readonly undecidedScans = new Map<string, Set<PendingScan>>();
  readonly decisions: DecidedScan[] = [];
  lost = 0;
  unmatched = 0;

  shown(scan: PendingScan): void {
    const key = `${scan.gate}/${scan.reader}`;
    const queue = this.pending.get(key) ?? [];
    queue.push(scan);
    this.pending.set(key, queue);
    const credential = scan.plan.person.credential.id;
    const undecided = this.undecidedScans.get(credential) ?? new Set<PendingScan>();
    undecided.add(scan);
    this.undecidedScans.set(credential, undecided);
  }

  /**
   * Whether a code of this credential was shown and not decided within the last
   * LOST_STILL_MATCHED_MS (as long as a decision may still be matched to it), at any lane. The crowd shows no other code of that person (theirs, a
   * forgery, a screenshot) meanwhile: a gate process's decision event names the credential,
   * not the code, and with two codes of one person in flight a late grant of the real one
   * could be booked to the forged one (a false accept the gate never made), or the reverse.
   */
  undecided(credential: string, now: number): boolean {
    const scans = this.undecidedScans.get(credential);
    if (scans === undefined) return false;
    for (const scan of scans) if (scan.shownAt < now - LOST_STILL_MATCHED_MS) scans.delete(scan);
    if (scans.size > 0) return true;
    this.undecidedScans.delete(credential);
    return false;
  }

  private settle(scan: PendingScan): PendingScan {
    this.undecidedScans.get(scan.plan.person.credential.id)?.delete(scan);
    return scan;
  }

  /**
   * The pending scan a decision answers: the oldest at that lane with the same text (the
   * gate names no credential it does not know). Scans waiting longer than 10 s are lost.
   */
  answer(gate: string, reader: string, text: string, now: number): PendingScan | undefined {
    return this.answerWhere(gate, reader, (scan) => scan.plan.text === text, now);
  }

  /**
   * The oldest pending scan at that lane that `matches` (a gate process's decision event
   * names the credential, not the text); scans waiting longer than 10 s are lost.
   */
  answerWhere(
    gate: string,
    reader: string,
    matches: (scan: PendingScan) => boolean,
    now: number,
  ): PendingScan | undefined {
    const key = `${gate}/${reader}`;
    const queue = this.pending.get(key) ?? [];
    const overdue = this.overdue.get(key) ?? [];
    this.overdue.set(key, overdue);
    while (overdue.length > 0 && (overdue[0] as PendingScan).shownAt < now - LOST_STILL_MATCHED_MS)
      overdue.shift();
    // Decided after all, late: no longer lost.
    const late = overdue.findIndex(matches);
    if (late >= 0) {
      this.lost--;
      return this.settle(overdue.splice(late, 1)[0] as PendingScan);
    }
    const index = queue.findIndex(matches);
    if (index < 0) {
      this.unmatched++;
      return undefined;
    }
    const [scan] = queue.splice(index, 1);
    for (let i = 0; i < queue.length; ) {
      const waiting = queue[i] as PendingScan;
      if (waiting.shownAt < now - LOST_AFTER_MS) {
        queue.splice(i, 1);
        overdue.push(waiting);
        this.lost++;
      } else i++;
    }
    return scan === undefined ? undefined : this.settle(scan);
  }

  /** Scans still waiting for a decision (at the end of a run: never decided). */
  unanswered(): number {
    let n = 0;
    for (const queue of this.pending.values()) n += queue.length;
    return n;
  }

  /** Whether a scan at this lane is still waiting for its decision. */
  busy(gate: string, reader: string): boolean {
    return (this.pending.get(`${gate}/${reader}`)?.length ?? 0) > 0;
  }

  decided(scan: DecidedScan): void {
    this.decisions.push(scan);
  }

  granted(pending: PendingScan, decidedAt: number): void {
    this.grants.push({ ...pending, decidedAt });
  }

  /** Real time of the last grant at a lane (0: none). */
  lastGrantAt(gate: string, reader: string): number {
    for (let i = this.grants.length - 1; i >= 0; i--) {
      const g = this.grants[i] as Grant;
      if (g.gate === gate && g.reader === reader) return g.decidedAt;
    }
    return 0;
  }

  /**
   * Genuine grants at other gates that a screenshot may be shown of at `gate` now: recent,
   * decided at least 500 ms ago, and after `sharedSince` (the broker was up from then on, so
   * the pair reached every gate). Each screenshot is shown once.
   */
  screenshots(
    gate: string,
    now: number,
    sharedSince: number,
    /** Grants whose shared record may not have reached `gate` yet (their gate is not back). */
    unshared: (gate: string, decidedAt: number) => boolean = () => false,
  ): RecentGrant[] {
    return this.grants
      .filter(
        (g) =>
          g.gate !== gate &&
          !unshared(g.gate, g.decidedAt) &&
          g.plan.genuine &&
          !this.usedShots.has(g) &&
          g.decidedAt > sharedSince &&
          g.decidedAt < now - 500 &&
          g.decidedAt > now - SCREENSHOT_WITHIN_MS,
      )
      .map((g) => ({ gate: g.gate, person: g.plan.person, text: g.plan.text, tokenStep: g.plan.tokenStep }));
  }

  /** Marks a screenshot shown. */
  useScreenshot(text: string): void {
    const grant = this.grants.find((g) => g.plan.text === text);
    if (grant !== undefined) this.usedShots.add(grant);
  }

  /**
   * Relay opens more than `deadlineMs` after the scan they answer: each open is matched to
   * the latest grant at its lane shown before it; an open with no grant before it is late too.
   */
  lateOpens(
    gate: string,
    reader: string,
    opens: readonly { readonly at: number }[],
    deadlineMs: number,
  ): number {
    const shown = this.grants
      .filter((g) => g.gate === gate && g.reader === reader)
      .map((g) => g.shownAt)
      .sort((a, b) => a - b);
    let late = 0;
    for (const open of opens) {
      let latest: number | undefined;
      for (const at of shown) if (at <= open.at) latest = at;
      if (latest === undefined || open.at - latest > deadlineMs) late++;
    }
    return late;
  }
}
