import type { Direction } from "../../config/schema.js";
import type { Clock } from "../../platform/clock.js";
import type { Db } from "../../platform/database/database.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Journal } from "../journal/journal.js";
import { alarmRecord } from "../journal/journal-entry.js";
import type { PresenceStore } from "../state/presence-store.js";

/** A grant waiting for its rotation. */
export interface PendingGrant {
  readonly decisionId: string;
  readonly reader: string;
  readonly direction: Direction;
  readonly credential: string | null;
  readonly person: string | null;
  /** Epoch ms of the grant. */
  readonly at: number;
}

/** What a rotation or a timeout made of a grant, or of a rotation nobody was granted. */
export type PassageOutcome =
  | { readonly result: "passed" | "not_passed"; readonly grant: PendingGrant; readonly at: number }
  | {
      readonly result: "forced_passage";
      readonly reader: string;
      readonly direction: Direction;
      readonly at: number;
    };

/**
 * Turns grants into passages at readers with a rotation sensor: a rotation within
 * `timeoutMs` of a grant makes it `passed` (the oldest grant waiting first: people go
 * through in the order they scanned), else `not_passed`; a rotation with no grant
 * waiting is a `forced_passage` alarm (tailgating, or the arm pushed). Only a passage
 * moves anti-passback presence. Each outcome is journaled (`passage` / `alarm`) with
 * the presence it changes, in one transaction, then reported.
 */
export class PassageTracker {
  private readonly pending = new Map<string, { grant: PendingGrant; timer: NodeJS.Timeout }[]>();

  constructor(
    private readonly settings: {
      readonly gate: string;
      readonly zone: string;
      /** Reader id → how long a grant waits for its rotation, ms. */
      readonly timeouts: ReadonlyMap<string, number>;
    },
    private readonly deps: {
      readonly db: Db;
      readonly journal: Journal;
      readonly presence: PresenceStore;
      readonly clock: Clock;
      readonly logger: Logger;
      readonly report: (outcome: PassageOutcome) => void;
    },
  ) {}

  /** Whether grants at `readerId` wait for a rotation. */
  senses(readerId: string): boolean {
    return this.settings.timeouts.has(readerId);
  }

  granted(grant: PendingGrant): void {
    const timeout = this.settings.timeouts.get(grant.reader);
    if (timeout === undefined) return;
    const queue = this.pending.get(grant.reader) ?? [];
    this.pending.set(grant.reader, queue);
    const timer = setTimeout(() => {
      const i = queue.findIndex((p) => p.grant === grant);
      if (i < 0) return;
      queue.splice(i, 1);
      this.settle({ result: "not_passed", grant, at: this.deps.clock.now() });
    }, timeout);
    timer.unref();
    queue.push({ grant, timer });
  }

  rotated(reader: string, direction: Direction): void {
    const at = this.deps.clock.now();
    const next = this.pending.get(reader)?.shift();
    if (next === undefined) {
      this.settle({ result: "forced_passage", reader, direction, at });
      return;
    }
    clearTimeout(next.timer);
    this.settle({ result: "passed", grant: next.grant, at });
  }

  stop(): void {
    for (const queue of this.pending.values()) for (const p of queue) clearTimeout(p.timer);
    this.pending.clear();
  }

  private settle(outcome: PassageOutcome): void {
    const { db, journal, presence } = this.deps;
    try {
      db.transaction(() => {
        if (outcome.result === "forced_passage") {
          journal.append(
            alarmRecord({
              at: outcome.at,
              gate: this.settings.gate,
              reason: "forced_passage",
              reader: { id: outcome.reader, direction: outcome.direction },
            }),
          );
          return;
        }
        const { grant } = outcome;
        if (outcome.result === "passed" && grant.person !== null) {
          presence.record(grant.person, this.settings.zone, grant.direction, outcome.at);
        }
        journal.append({
          kind: "passage",
          at: outcome.at,
          gate: this.settings.gate,
          reader: grant.reader,
          direction: grant.direction,
          credential: grant.credential,
          person: grant.person,
          step: null,
          result: null,
          reason: outcome.result,
          data: { decision: grant.decisionId },
        });
      })();
    } catch (err) {
      this.deps.logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        "passage journal failed",
      );
    }
    if (outcome.result === "forced_passage")
      this.deps.logger.warn({ reader: outcome.reader }, "forced passage");
    this.deps.report(outcome);
  }
}
