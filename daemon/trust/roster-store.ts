import { type ComponentSchema, type Db, migrate } from "../../platform/database/database.js";
import { Roster } from "./roster.js";
import type { VerifiedRoster } from "./roster-body.js";
import { type RosterMember, rosterMemberSchema } from "./roster-member.js";

/**
 * The roster's tables. Members are kept as their JSON (checked again on every read) with
 * where they came from: the registry's signed roster, or `passgate trust add` on this gate.
 */
export const ROSTER_SCHEMA: ComponentSchema = {
  component: "roster",
  migrations: [
    {
      version: 1,
      up: `
        CREATE TABLE roster_member (
          id TEXT PRIMARY KEY,
          origin TEXT NOT NULL CHECK (origin IN ('registry', 'local')),
          member TEXT NOT NULL,
          added_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE roster_version (
          singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
          version INTEGER NOT NULL,
          issued_at INTEGER NOT NULL,
          applied_at INTEGER NOT NULL
        ) STRICT;
      `,
    },
  ],
};

/** Where a member's entry came from. */
export type MemberOrigin = "registry" | "local";

export interface StoredMember {
  readonly member: RosterMember;
  readonly origin: MemberOrigin;
  /** Epoch ms. */
  readonly addedAt: number;
}

/** The registry roster in force: its version and when it was issued and applied (epoch ms). */
export interface RosterVersion {
  readonly version: number;
  readonly issuedAt: number;
  readonly appliedAt: number;
}

/** A change to the roster that cannot be made, with what to do instead. */
export class RosterChangeError extends Error {
  readonly code = "ROSTER_CHANGE";
}

/**
 * The site roster as this gate keeps it (site-roster.md). A registry roster replaces every
 * entry whole, and only by a newer version; local entries (`passgate trust add`) serve a
 * site without a registry and never overwrite or remove what the registry said.
 */
export class RosterStore {
  private constructor(private readonly db: Db) {}

  /** Brings the tables to the current schema when `db` is writable; a read-only one only reads. */
  static open(db: Db): RosterStore {
    if (!db.readonly) migrate(db, ROSTER_SCHEMA.component, ROSTER_SCHEMA.migrations);
    return new RosterStore(db);
  }

  list(): StoredMember[] {
    const rows = this.db.prepare("SELECT member, origin, added_at FROM roster_member ORDER BY id").all() as {
      member: string;
      origin: MemberOrigin;
      added_at: number;
    }[];
    const out: StoredMember[] = [];
    for (const row of rows) {
      // An entry that no longer reads as a member (edited by hand) is left out: it speaks for no one.
      const parsed = rosterMemberSchema.safeParse(JSON.parse(row.member));
      if (parsed.success) out.push({ member: parsed.data, origin: row.origin, addedAt: row.added_at });
    }
    return out;
  }

  version(): RosterVersion | undefined {
    const row = this.db
      .prepare("SELECT version, issued_at, applied_at FROM roster_version WHERE singleton = 1")
      .get() as { version: number; issued_at: number; applied_at: number } | undefined;
    return row === undefined
      ? undefined
      : { version: row.version, issuedAt: row.issued_at, appliedAt: row.applied_at };
  }

  /** The members as a receiver checks messages against them. */
  roster(): Roster {
    return new Roster(
      this.list().map((m) => m.member),
      this.version()?.version ?? 0,
    );
  }

  /** Adds or replaces a local entry; an id the registry's roster holds is refused. */
  addLocal(member: RosterMember, now: number): "added" | "replaced" {
    const existing = this.origin(member.id);
    if (existing === "registry")
      throw new RosterChangeError(`${member.id} comes from the registry's roster: change it at the registry`);
    this.db
      .prepare(
        "INSERT INTO roster_member (id, origin, member, added_at) VALUES (?, 'local', ?, ?) " +
          "ON CONFLICT (id) DO UPDATE SET member = excluded.member, added_at = excluded.added_at",
      )
      .run(member.id, JSON.stringify(member), now);
    return existing === undefined ? "added" : "replaced";
  }

  /** Removes a local entry; an id from the registry's roster is refused. */
  removeLocal(id: string): "removed" | "absent" {
    const existing = this.origin(id);
    if (existing === undefined) return "absent";
    if (existing === "registry")
      throw new RosterChangeError(`${id} comes from the registry's roster: revoke it at the registry`);
    this.db.prepare("DELETE FROM roster_member WHERE id = ? AND origin = 'local'").run(id);
    return "removed";
  }

  /**
   * Puts a verified registry roster in force, whole, in one transaction: every entry (local
   * ones too) is replaced. Refused when its version is not newer than the one in force, so
   * a roster is never rolled back.
   */
  applyRegistry(
    roster: VerifiedRoster,
    now: number,
  ): { ok: true } | { ok: false; reason: "version_not_newer"; current: number } {
    return this.db.transaction(() => {
      const current = this.version();
      if (current !== undefined && roster.version <= current.version)
        return { ok: false as const, reason: "version_not_newer" as const, current: current.version };
      this.db.prepare("DELETE FROM roster_member").run();
      const insert = this.db.prepare(
        "INSERT INTO roster_member (id, origin, member, added_at) VALUES (?, 'registry', ?, ?)",
      );
      for (const member of roster.members) insert.run(member.id, JSON.stringify(member), now);
      this.db
        .prepare(
          "INSERT INTO roster_version (singleton, version, issued_at, applied_at) VALUES (1, ?, ?, ?) " +
            "ON CONFLICT (singleton) DO UPDATE SET version = excluded.version, issued_at = excluded.issued_at, applied_at = excluded.applied_at",
        )
        .run(roster.version, roster.issuedAt, now);
      return { ok: true as const };
    })();
  }

  private origin(id: string): MemberOrigin | undefined {
    return (
      this.db.prepare("SELECT origin FROM roster_member WHERE id = ?").get(id) as
        | { origin: MemberOrigin }
        | undefined
    )?.origin;
  }
}
