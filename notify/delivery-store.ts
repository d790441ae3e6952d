import { type Db, migrate, schemaVersion } from "../platform/database/database.js";
import type { ChannelKind } from "./guardian-directory.js";

/**
 * The notifier's queue in SQLite: one row per (notice, guardian, channel), so a notice
 * goes to a guardian's channel once, across duplicate MQTT deliveries and restarts alike.
 * A row is `pending` until it is `sent` or given up (`failed`), with its attempts, the time
 * of the next one and the last error (a short reason, never an address or a secret).
 */

export const NOTIFY_SCHEMA = {
  component: "notify",
  migrations: [
    {
      version: 1,
      up: `
        CREATE TABLE notify_delivery (
          id INTEGER PRIMARY KEY,
          notice_id TEXT NOT NULL,
          guardian TEXT NOT NULL,
          channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
          person TEXT NOT NULL,
          name TEXT,
          gate TEXT NOT NULL,
          direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
          passed_at INTEGER NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
          attempts INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL,
          next_at INTEGER NOT NULL,
          done_at INTEGER,
          last_error TEXT,
          UNIQUE (notice_id, guardian, channel)
        ) STRICT;
        CREATE INDEX notify_delivery_due ON notify_delivery (state, next_at);
        CREATE TABLE notify_refusal (
          reason TEXT PRIMARY KEY,
          count INTEGER NOT NULL,
          last_at INTEGER NOT NULL
        ) STRICT;
      `,
    },
  ],
} as const;

export type DeliveryState = "pending" | "sent" | "failed";

/** What a delivery says and to whom, as queued. */
export interface NewDelivery {
  readonly noticeId: string;
  readonly guardian: string;
  readonly channel: ChannelKind;
  readonly person: string;
  readonly name: string | undefined;
  readonly gate: string;
  readonly direction: "in" | "out";
  /** Epoch ms of the passage. */
  readonly passedAt: number;
}

export interface Delivery extends NewDelivery {
  readonly id: number;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly createdAt: number;
  readonly nextAt: number;
  readonly doneAt: number | undefined;
  readonly lastError: string | undefined;
}

interface DeliveryRow {
  id: number;
  notice_id: string;
  guardian: string;
  channel: ChannelKind;
  person: string;
  name: string | null;
  gate: string;
  direction: "in" | "out";
  passed_at: number;
  state: DeliveryState;
  attempts: number;
  created_at: number;
  next_at: number;
  done_at: number | null;
  last_error: string | null;
}

function fromRow(r: DeliveryRow): Delivery {
  return {
    id: r.id,
    noticeId: r.notice_id,
    guardian: r.guardian,
    channel: r.channel,
    person: r.person,
    name: r.name ?? undefined,
    gate: r.gate,
    direction: r.direction,
    passedAt: r.passed_at,
    state: r.state,
    attempts: r.attempts,
    createdAt: r.created_at,
    nextAt: r.next_at,
    doneAt: r.done_at ?? undefined,
    lastError: r.last_error ?? undefined,
  };
}

/** Longest error kept with a delivery: enough for "SMTP 451 try later", not for a whole reply. */
export const MAX_ERROR_CHARS = 200;

/** Counts by state and by refusal reason, as `passgate notify status` shows them. */
export interface QueueCounts {
  readonly pending: number;
  readonly sent: number;
  readonly failed: number;
  readonly refused: Readonly<Record<string, number>>;
}

/** Creates the tables (a database opened for writing); refuses a database a newer passgate made. */
export function migrateNotifyDatabase(db: Db): void {
  migrate(db, NOTIFY_SCHEMA.component, NOTIFY_SCHEMA.migrations);
}

/** Whether `db` has the notifier's tables (for a read-only look at a database never started). */
export function hasNotifyTables(db: Db): boolean {
  return schemaVersion(db, NOTIFY_SCHEMA.component) !== undefined;
}

export class DeliveryStore {
  constructor(private readonly db: Db) {}

  /**
   * Queues each delivery once, due at `now`; one already queued for the same notice,
   * guardian and channel is left as it is. Returns how many were new. One transaction.
   */
  enqueue(deliveries: readonly NewDelivery[], now: number): number {
    const insert = this.db.prepare(
      `INSERT INTO notify_delivery
         (notice_id, guardian, channel, person, name, gate, direction, passed_at, state, attempts, created_at, next_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)
       ON CONFLICT (notice_id, guardian, channel) DO NOTHING`,
    );
    return this.db.transaction(() => {
      let added = 0;
      for (const d of deliveries)
        added += insert.run(
          d.noticeId,
          d.guardian,
          d.channel,
          d.person,
          d.name ?? null,
          d.gate,
          d.direction,
          d.passedAt,
          now,
          now,
        ).changes;
      return added;
    })();
  }

  /** Pending deliveries due at `now`, oldest first, at most `limit`. */
  due(now: number, limit: number): Delivery[] {
    const rows = this.db
      .prepare(
        "SELECT * FROM notify_delivery WHERE state = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?",
      )
      .all(now, limit) as DeliveryRow[];
    return rows.map(fromRow);
  }

  /** How many deliveries wait. */
  pendingCount(): number {
    return this.db
      .prepare("SELECT COUNT(*) FROM notify_delivery WHERE state = 'pending'")
      .pluck()
      .get() as number;
  }

  /** The epoch ms at which the next pending delivery is due, or undefined when none waits. */
  nextDue(): number | undefined {
    const next = this.db
      .prepare("SELECT MIN(next_at) FROM notify_delivery WHERE state = 'pending'")
      .pluck()
      .get() as number | null;
    return next ?? undefined;
  }

  markSent(id: number, now: number): void {
    this.db
      .prepare(
        "UPDATE notify_delivery SET state = 'sent', attempts = attempts + 1, done_at = ?, last_error = NULL WHERE id = ? AND state = 'pending'",
      )
      .run(now, id);
  }

  /** Records a failed attempt: tried again at `nextAt`, or given up (`failed`) when `nextAt` is undefined. */
  markAttemptFailed(id: number, now: number, error: string, nextAt: number | undefined): void {
    const reason = error.slice(0, MAX_ERROR_CHARS);
    if (nextAt === undefined)
      this.db
        .prepare(
          "UPDATE notify_delivery SET state = 'failed', attempts = attempts + 1, done_at = ?, last_error = ? WHERE id = ? AND state = 'pending'",
        )
        .run(now, reason, id);
    else
      this.db
        .prepare(
          "UPDATE notify_delivery SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ? AND state = 'pending'",
        )
        .run(nextAt, reason, id);
  }

  /** Counts a refused notice or guardian under `reason`. */
  countRefusal(reason: string, now: number): void {
    this.db
      .prepare(
        `INSERT INTO notify_refusal (reason, count, last_at) VALUES (?, 1, ?)
         ON CONFLICT (reason) DO UPDATE SET count = count + 1, last_at = excluded.last_at`,
      )
      .run(reason, now);
  }

  counts(): QueueCounts {
    const byState = new Map(
      (
        this.db.prepare("SELECT state, COUNT(*) AS n FROM notify_delivery GROUP BY state").all() as {
          state: DeliveryState;
          n: number;
        }[]
      ).map((r) => [r.state, r.n]),
    );
    const refused = Object.fromEntries(
      (
        this.db.prepare("SELECT reason, count FROM notify_refusal ORDER BY reason").all() as {
          reason: string;
          count: number;
        }[]
      ).map((r) => [r.reason, r.count]),
    );
    return {
      pending: byState.get("pending") ?? 0,
      sent: byState.get("sent") ?? 0,
      failed: byState.get("failed") ?? 0,
      refused,
    };
  }

  /** The deliveries in `state`, the newest first, at most `limit`. */
  list(state: DeliveryState, limit: number): Delivery[] {
    const order = state === "pending" ? "next_at, id" : "done_at DESC, id DESC";
    const rows = this.db
      .prepare(`SELECT * FROM notify_delivery WHERE state = ? ORDER BY ${order} LIMIT ?`)
      .all(state, limit) as DeliveryRow[];
    return rows.map(fromRow);
  }

  /** Forgets sent and failed deliveries done before `before` (epoch ms): they hold children's names. */
  prune(before: number): number {
    return this.db
      .prepare("DELETE FROM notify_delivery WHERE state IN ('sent', 'failed') AND done_at < ?")
      .run(before).changes;
  }
}
