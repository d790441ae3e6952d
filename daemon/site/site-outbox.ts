import type { Statement } from "better-sqlite3";
import { type ComponentSchema, type Db, migrate } from "../../platform/database/database.js";
import {
  type SharedPassage,
  type SharedReplay,
  sharedPassageSchema,
  sharedReplaySchema,
} from "../mqtt/topics.js";

/** The records this gate shares with the site's other gates, kept until they no longer matter. */
export const SITE_OUTBOX_SCHEMA: ComponentSchema = {
  component: "site-outbox",
  migrations: [
    {
      version: 1,
      // Its own table, not a column of `replay` or `presence`: a decision's commit stays at
      // the pages it writes today (the outbox row is written right after it, see SiteShare).
      // No expiry index: the table holds minutes of pairs and is pruned by a scan once a minute.
      up: `
        CREATE TABLE site_outbox (
          id INTEGER PRIMARY KEY,
          kind TEXT NOT NULL CHECK (kind IN ('replay', 'passage')),
          record TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          acked INTEGER NOT NULL DEFAULT 0 CHECK (acked IN (0, 1))
        ) STRICT;
      `,
    },
  ],
};

/** Creates or upgrades the outbox table (only on a writable connection). */
export function migrateSiteOutbox(db: Db): void {
  if (!db.readonly) migrate(db, SITE_OUTBOX_SCHEMA.component, SITE_OUTBOX_SCHEMA.migrations);
}

export type SiteRecord =
  | { readonly kind: "replay"; readonly item: SharedReplay }
  | { readonly kind: "passage"; readonly item: SharedPassage };

/** A kept record with its row id (to mark it acknowledged), its expiry and whether the broker took it. */
export type KeptRecord = SiteRecord & {
  readonly id: number;
  /** Epoch ms. */
  readonly expiresAt: number;
  readonly acked: boolean;
};

/** Records kept per kind; beyond it the oldest of that kind goes first. */
export const OUTBOX_CAP = 10_000;

type Row = { id: number; kind: "replay" | "passage"; record: string; expires_at: number; acked: 0 | 1 };

/**
 * This gate's own site records (shared replay pairs and passages, unsigned: they are signed
 * each time they are sent, so a record sent after an outage is fresh) in the gate's SQLite
 * database, so a gate killed while the broker is away still sends them when it is back.
 *
 * A record waits in the outbox until the broker acknowledges it (PUBACK), then stays, marked
 * `acked`, until it expires: a gate that restarts asks the site to catch it up, and each gate
 * answers with what it still keeps. Every record leaves at its own expiry (a pair when its
 * step no longer verifies, a passage after the anti-passback window) or when its kind holds
 * more than `cap` rows, whichever comes first.
 */
export class SiteOutbox {
  private readonly insertStmt: Statement<[string, string, number, number]>;
  private readonly ackStmt: Statement<[number]>;
  private readonly dropOldestStmt: Statement<[string]>;
  private readonly pruneStmt: Statement<[string, number]>;
  private readonly liveStmt: Statement<[number, number], Row>;
  private readonly countStmt: Statement<[string], unknown>;
  private readonly counts: Record<SiteRecord["kind"], number>;
  private unreadableRows = 0;

  /** Expects `migrateSiteOutbox(db)` to have run. `cap`: rows kept per kind. */
  constructor(
    db: Db,
    private readonly cap = OUTBOX_CAP,
  ) {
    this.insertStmt = db.prepare(
      "INSERT INTO site_outbox (kind, record, created_at, expires_at) VALUES (?, ?, ?, ?)",
    );
    this.ackStmt = db.prepare("UPDATE site_outbox SET acked = 1 WHERE id = ?");
    // Row ids only grow while rows remain, so the smallest of a kind is its oldest.
    this.dropOldestStmt = db.prepare(
      "DELETE FROM site_outbox WHERE id = (SELECT min(id) FROM site_outbox WHERE kind = ?)",
    );
    this.pruneStmt = db.prepare("DELETE FROM site_outbox WHERE kind = ? AND expires_at <= ?");
    this.liveStmt = db.prepare(
      "SELECT id, kind, record, expires_at, acked FROM site_outbox WHERE expires_at > ? AND created_at >= ? ORDER BY id",
    );
    this.countStmt = db.prepare("SELECT count(*) FROM site_outbox WHERE kind = ?").pluck();
    this.counts = {
      replay: Number(this.countStmt.get("replay")),
      passage: Number(this.countStmt.get("passage")),
    };
  }

  /** Keeps `record`, learned at `createdAt`, until `expiresAt` (epoch ms); returns its row id. */
  add(record: SiteRecord, createdAt: number, expiresAt: number): number {
    const id = Number(
      this.insertStmt.run(record.kind, JSON.stringify(record.item), createdAt, expiresAt).lastInsertRowid,
    );
    this.counts[record.kind]++;
    while (this.counts[record.kind] > this.cap) {
      if (this.dropOldestStmt.run(record.kind).changes === 0) break;
      this.counts[record.kind]--;
    }
    return id;
  }

  /** The broker took the record of row `id`: it leaves the outbox (and stays for catch-up answers). */
  acked(id: number): void {
    this.ackStmt.run(id);
  }

  /** Forgets the records expired at `now`; returns how many. */
  prune(now: number): number {
    let removed = 0;
    for (const kind of ["replay", "passage"] as const) {
      const n = this.pruneStmt.run(kind, now).changes;
      this.counts[kind] -= n;
      removed += n;
    }
    return removed;
  }

  /**
   * Every record still live at `now`, oldest first; `unacked`: just the outbox; `since`:
   * only those learned at or after it (epoch ms).
   */
  live(now: number, options: { readonly unacked?: boolean; readonly since?: number } = {}): KeptRecord[] {
    const kept: KeptRecord[] = [];
    for (const row of this.liveStmt.iterate(now, options.since ?? Number.MIN_SAFE_INTEGER)) {
      if (options.unacked === true && row.acked === 1) continue;
      // Checked again as read: a row changed on disk is skipped (and expires), never sent.
      const item = readRecord(row.kind, row.record);
      if (item === undefined) {
        this.unreadableRows++;
        continue;
      }
      kept.push({
        id: row.id,
        kind: row.kind,
        item,
        expiresAt: row.expires_at,
        acked: row.acked === 1,
      } as KeptRecord);
    }
    return kept;
  }

  /** Rows `live` skipped since this outbox was opened, their record not a valid one of their kind. */
  get unreadable(): number {
    return this.unreadableRows;
  }

  /** Rows kept per kind (acknowledged or not). */
  size(): Readonly<Record<SiteRecord["kind"], number>> {
    return { ...this.counts };
  }
}

/** The record of a row, when it is valid for its kind. */
function readRecord(kind: SiteRecord["kind"], text: string): SharedReplay | SharedPassage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = (kind === "replay" ? sharedReplaySchema : sharedPassageSchema).safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
