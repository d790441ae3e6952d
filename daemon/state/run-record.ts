import type { Db } from "../../platform/database/database.js";

/**
 * How the gate's runs end, kept so that a power cut cannot make a token open twice.
 *
 * The database commits with `synchronous = NORMAL` (WAL): a commit is in the OS's cache at
 * once and on disk at the next checkpoint, about a second later. A crash of the process
 * loses nothing (the OS still writes what it was given), but a power cut or a kernel crash
 * can take the last commits with it, and with them the replay rows of tokens just granted.
 * Fsyncing every grant instead costs a disk flush per decision (docs/storage.md measures
 * it); this record costs one flush per start and nothing per decision.
 */

/** How the previous run ended, as the database remembers it. */
export interface PreviousRun {
  /** The machine's boot the run started in (platform/boot-id.ts); null: unknown. */
  readonly bootId: string | null;
  readonly startedAt: number;
  /** The run stopped cleanly: every commit of it reached the disk with the final checkpoint. */
  readonly clean: boolean;
  /** A loss bound (epoch ms) still in force from an earlier unclean start; null: none. */
  readonly lostUpTo: number | null;
}

/** What a starting gate knows. */
export interface RunStart {
  readonly bootId: string | null;
  /** The start time, epoch ms. */
  readonly now: number;
  /** `at` of the newest journal entry on disk, epoch ms; undefined when there is none. */
  readonly lastJournalAt: number | undefined;
}

/**
 * Up to when (epoch ms) grants may have been lost, so that every token step that could
 * have verified by then must be refused as possibly used (ReplayGuard.assumeLostUpTo);
 * undefined when nothing can have been lost. Commits are lost only when the previous run
 * neither stopped cleanly nor shares this boot (same boot: the OS kept its writes). The
 * lost commits were made before this start, so the start time bounds them, or the newest
 * surviving entry's time if the clock now reads earlier (a machine without a real-time
 * clock before NTP). A bound from an earlier unclean start is carried (once its steps
 * have expired it refuses nothing). No record: a fresh database, or one an older passgate
 * ran on, which an upgrade stopped cleanly (a power cut a minute before an upgrade is not
 * worth refusing every first-day scan of a database that `relay test` or `mode set` touched).
 */
export function replayLossBound(previous: PreviousRun | undefined, start: RunStart): number | undefined {
  if (previous === undefined) return undefined;
  const carried = previous.lostUpTo ?? undefined;
  const mayHaveLost = !previous.clean && (previous.bootId === null || previous.bootId !== start.bootId);
  if (!mayHaveLost) return carried;
  const bound = Math.max(start.now, start.lastJournalAt ?? start.now);
  return carried === undefined ? bound : Math.max(carried, bound);
}

/** The record of the previous run; undefined when no gate of this passgate ran on the database. */
export function readPreviousRun(db: Db): PreviousRun | undefined {
  const row = db
    .prepare("SELECT boot_id, started_at, clean, lost_up_to FROM gate_run WHERE singleton = 1")
    .get() as
    | { boot_id: string | null; started_at: number; clean: number; lost_up_to: number | null }
    | undefined;
  if (row === undefined) return undefined;
  return { bootId: row.boot_id, startedAt: row.started_at, clean: row.clean === 1, lostUpTo: row.lost_up_to };
}

/**
 * Records this run as started and not yet stopped, with the loss bound in force, and
 * returns only once that is on disk: the commit is made with `synchronous = FULL`, so a
 * power cut after any grant of this run finds the record saying "not stopped cleanly".
 * (A grant before the record is durable would be lost without a trace.)
 */
export function recordRunStart(
  db: Db,
  run: { readonly bootId: string | null; readonly startedAt: number; readonly lostUpTo: number | undefined },
): void {
  const level = Number(db.pragma("synchronous", { simple: true }));
  // A fresh PRAGMA each time: SQLite applies `synchronous` when the statement is prepared.
  db.exec("PRAGMA synchronous = FULL");
  try {
    db.prepare(
      `INSERT INTO gate_run (singleton, boot_id, started_at, clean, lost_up_to) VALUES (1, ?, ?, 0, ?)
       ON CONFLICT(singleton) DO UPDATE SET boot_id = excluded.boot_id, started_at = excluded.started_at,
         clean = 0, lost_up_to = excluded.lost_up_to`,
    ).run(run.bootId, run.startedAt, run.lostUpTo ?? null);
  } finally {
    db.exec(`PRAGMA synchronous = ${level}`);
  }
}

/**
 * Records a clean stop: call it after the last decision, before the final checkpoint that
 * brings this commit and every earlier one to disk. A cut before that checkpoint ends
 * leaves an unclean record or none of this commit: either way the next start is careful.
 */
export function recordCleanStop(db: Db): void {
  db.prepare("UPDATE gate_run SET clean = 1 WHERE singleton = 1").run();
}

/**
 * Marks a copy of the database (`passgate db backup`) as a run cut off on an unknown boot:
 * a gate restored from it has granted since the copy was made, and those replay rows are
 * not in it, so its start must refuse every code from before it, as after a power cut.
 */
export function recordCopyOfRun(db: Db): void {
  db.prepare("UPDATE gate_run SET clean = 0, boot_id = NULL WHERE singleton = 1").run();
}
