import { z } from "zod";
import { ConfigError } from "../config/config-error.js";
import { Roster } from "../daemon/trust/roster.js";
import { type RosterMember, rosterMemberSchema } from "../daemon/trust/roster-member.js";
import { type InlineGate, MAX_GATES } from "./notify-config.js";
import { readListFile } from "./read-list-file.js";

/**
 * `passgate trust list --json` as the notifier reads it: the members, each with the extra
 * fields that command adds (fingerprint, origin, addedAt), which are left aside.
 */
const trustListSchema = z.object({
  members: z.array(z.looseObject({ kind: z.string() })).max(MAX_GATES * 10),
});

/** The roster fields of a `trust list --json` member, without what the command adds. */
function rosterFields(entry: Record<string, unknown>): Record<string, unknown> {
  const { fingerprint: _f, origin: _o, addedAt: _a, ...member } = entry;
  return member;
}

/**
 * The gates whose notices the notifier takes, as a roster of their active gate members.
 * Only `gate` members count: a bridge or an operator never speaks for a passage. Revoked
 * gates are left out. Read once at start (docs/notices.md: restart after a change).
 */
export function loadGateRoster(gates: string | readonly InlineGate[]): Roster {
  if (typeof gates !== "string") return new Roster(gates.map(inlineMember));
  let parsed: unknown;
  try {
    parsed = JSON.parse(readListFile(gates, "the gates' roster"));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw rosterError(gates, "is not JSON: expected what passgate trust list --json prints");
  }
  const list = trustListSchema.safeParse(parsed);
  if (!list.success)
    throw rosterError(gates, "expected {members: [...]}, as passgate trust list --json prints");
  const members: RosterMember[] = [];
  list.data.members.forEach((entry, i) => {
    if (entry.kind !== "gate") return;
    const member = rosterMemberSchema.safeParse(rosterFields(entry));
    if (!member.success) throw rosterError(gates, `members.${i} is not a valid gate member`);
    if (member.data.status === "active") members.push(member.data);
  });
  if (members.length === 0) throw rosterError(gates, "lists no active gate");
  if (members.length > MAX_GATES) throw rosterError(gates, `lists more than ${MAX_GATES} gates`);
  return new Roster(members);
}

function inlineMember(gate: InlineGate): RosterMember {
  return {
    id: gate.id,
    kind: "gate",
    gate: gate.id.slice("gate:".length),
    publicKey: gate.publicKey,
    status: "active",
  };
}

function rosterError(file: string, message: string): ConfigError {
  return new ConfigError("CONFIG_INVALID", file, [{ path: "", message }], "is not a usable roster");
}
