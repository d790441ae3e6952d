import type { KeyObject } from "node:crypto";
import { importMemberKey, type MemberKind, type RosterMember } from "./roster-member.js";

/** A member with its key imported, as a receiver checks messages against it. */
export interface KnownMember {
  readonly member: RosterMember;
  /** Undefined only when the roster entry's key is not a valid point: its messages are refused. */
  readonly key: KeyObject | undefined;
}

/**
 * The members of a site a gate listens to, by id. Keys are imported once, when the roster
 * is built; a roster is replaced whole (a new version from the registry, a local change).
 */
export class Roster {
  private readonly byId = new Map<string, KnownMember>();

  constructor(
    members: readonly RosterMember[],
    /** The roster's version (registry) or 0 for local members only. */
    readonly version = 0,
  ) {
    for (const member of members)
      this.byId.set(member.id, { member, key: importMemberKey(member.publicKey) });
  }

  get(id: string): KnownMember | undefined {
    return this.byId.get(id);
  }

  /** Active members of `kind`. */
  active(kind: MemberKind): RosterMember[] {
    return [...this.byId.values()]
      .map((k) => k.member)
      .filter((m) => m.kind === kind && m.status === "active");
  }

  members(): RosterMember[] {
    return [...this.byId.values()].map((k) => k.member);
  }

  get size(): number {
    return this.byId.size;
  }
}
