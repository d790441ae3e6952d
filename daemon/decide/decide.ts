import type { Direction, GateMode, PolicyConfig, PolicyRule } from "../../config/schema.js";
import { ASSURANCE_LEVELS, type AssuranceLevel, type Credential } from "../allowlist/credential.js";
import type { VerificationResult } from "../verify/verify-token.js";
import { type Decision, type DecisionFlag, type DenyReason, deny } from "./reasons.js";
import { type LocalTime, localTime, scheduleOpen } from "./schedule.js";
import { type StalenessBudgets, stalenessBudget } from "./staleness.js";

/** The gate facts a decision depends on, from config. */
export interface GateContext {
  readonly direction: Direction;
  readonly timezone: string;
  readonly policy: PolicyConfig;
  /** Per-role limits on the allowlist's age; absent: the allowlist never goes stale. */
  readonly staleness?: StalenessBudgets | undefined;
}

/** A person's last passage through this gate's zone. */
export interface LastPassage {
  readonly direction: Direction;
  /** Epoch ms. */
  readonly at: number;
}

/** What the gate knows at the moment of the scan, gathered before deciding. */
export interface GateState {
  readonly mode: GateMode;
  /** The credential's (credential, step) pair was already accepted on this site. */
  readonly replayed: boolean;
  /** Epoch ms until which the credential is locked out at this reader; absent when it is not. */
  readonly lockedUntil?: number | undefined;
  /** A reader bridge's scan that waited too long since it was scanned: acting on it would open late. */
  readonly staleScan?: boolean | undefined;
  /** Epoch ms until which this reader refuses every scan (its guesses used up); absent when it does not. */
  readonly readerThrottledUntil?: number | undefined;
  readonly lastPassage?: LastPassage | undefined;
  /** ms since the allowlist's last verified sync; absent or Infinity: never synced. */
  readonly allowlistAge?: number | undefined;
  /** false when a relay this scan would open is known to be offline; absent: available. */
  readonly relayAvailable?: boolean | undefined;
  /** The gate's database is known to be damaged: what it says about a credential cannot be trusted. */
  readonly databaseCorrupt?: boolean | undefined;
  /**
   * false while this gate cannot hear its zone (its broker away, or a gate of the zone
   * silent: daemon/site/zone-hearing.ts), so another gate may hold the person's last
   * passage; absent: not asked (a fail-open zone asks nothing).
   */
  readonly siteReachable?: boolean | undefined;
}

export interface DecisionInput {
  readonly verification: VerificationResult;
  /** The credential the token names, when the allowlist has it. */
  readonly credential: Credential | undefined;
  readonly gate: GateContext;
  readonly state: GateState;
  /** Epoch ms. */
  readonly now: number;
}

/**
 * The access policy: a pure function from what is known about a scan to a decision
 * with one reason. No I/O and no clock. It fails closed: any exception inside turns
 * into `internal_error`.
 *
 * Order of checks: a stale bridged scan; gate mode; a damaged database; reader throttle; lockout; token verification; replay; credential status;
 * allowlist staleness (the credential's role budget); validity dates; rules (roles or zone grants, direction, assurance, schedule);
 * anti-passback (a fail-closed zone this gate cannot hear first); relay availability.
 */
export function decide(input: DecisionInput): Decision {
  try {
    return decideUnsafe(input);
  } catch {
    return deny("internal_error");
  }
}

function decideUnsafe({ verification, credential, gate, state, now }: DecisionInput): Decision {
  // First, even before free passage: the person who made a late scan has long moved on.
  if (state.staleScan === true) return deny("stale_scan");
  if (state.mode === "lockdown") return deny("lockdown");
  if (state.mode === "free") {
    return { result: "granted", reason: "free_passage", flags: verification.ok ? [] : ["unverified"] };
  }
  // After free passage (a fire alarm still opens), before anything read from the file.
  if (state.databaseCorrupt === true) return deny("database_corrupt");
  if (state.readerThrottledUntil !== undefined && now < state.readerThrottledUntil)
    return deny("reader_throttled");
  if (state.lockedUntil !== undefined && now < state.lockedUntil) return deny("locked_out");
  if (!verification.ok) return deny(verification.reason);
  // A verified token whose credential is missing cannot happen; stay closed if it does.
  if (credential === undefined) return deny("unknown_credential");
  if (state.replayed) return deny("replayed");
  if (credential.status === "suspended") return deny("suspended");
  if (credential.status !== "active") return deny("revoked");
  if (gate.staleness !== undefined) {
    const age = state.allowlistAge ?? Number.POSITIVE_INFINITY;
    if (age > stalenessBudget(credential.roles, gate.staleness)) return deny("allowlist_stale");
  }
  if (credential.validFrom !== undefined && now < credential.validFrom)
    return deny("credential_not_yet_valid");
  if (credential.validUntil !== undefined && now >= credential.validUntil) return deny("credential_expired");

  const admitted = admittingRule(credential, gate, now);
  if (typeof admitted === "string") return deny(admitted);

  const flags: DecisionFlag[] = [];
  const apb = antiPassback(gate, state, now);
  if (apb === "partition") return deny("anti_passback_partition");
  if (apb === "deny") return deny("anti_passback");
  if (apb === "flag") flags.push("anti_passback_soft");
  // Last, so a scan that fails anyway keeps its real reason, and a token is not spent on a
  // gate that cannot open (a denial accepts no replay pair and moves no presence).
  if (state.relayAvailable === false) return deny("relay_offline");
  return { result: "granted", reason: "ok", flags, rule: admitted.name };
}

/**
 * The first rule that admits the credential now, or why none does. When rules match the
 * credential but none is open, `outside_schedule` wins over `assurance_too_low` if any
 * rule failed on its schedule alone: the person may come back at another time.
 */
function admittingRule(credential: Credential, gate: GateContext, now: number): PolicyRule | DenyReason {
  const { policy } = gate;
  let local: LocalTime | undefined;
  let failure: DenyReason = "not_allowed_here";
  for (const rule of policy.rules) {
    if (!rule.directions.includes(gate.direction)) continue;
    const matches =
      rule.roles.some((r) => credential.roles.includes(r)) ||
      rule.zones.some((z) => credential.zones.includes(z));
    if (!matches) continue;
    if (rule.minAssurance !== undefined && !assuranceAtLeast(credential.assurance, rule.minAssurance)) {
      if (failure === "not_allowed_here") failure = "assurance_too_low";
      continue;
    }
    if (rule.schedule !== undefined) {
      local ??= localTime(now, gate.timezone);
      const windows = policy.schedules[rule.schedule];
      // A rule naming a schedule that does not exist never opens (config check reports it).
      if (windows === undefined || !scheduleOpen(windows, local, policy.holidays)) {
        failure = "outside_schedule";
        continue;
      }
    }
    return rule;
  }
  return failure;
}

/** A credential with no assurance level counts as the lowest. */
function assuranceAtLeast(level: AssuranceLevel | undefined, minimum: AssuranceLevel): boolean {
  return ASSURANCE_LEVELS.indexOf(level ?? "simplified") >= ASSURANCE_LEVELS.indexOf(minimum);
}

/**
 * `partition`: a fail-closed zone whose answer this gate cannot know. Only `hard` and
 * `timed` can deny, so only they can be wrong for a passage made at a gate this one does
 * not hear; `soft` and `off` grant either way and decide locally.
 */
function antiPassback(
  gate: GateContext,
  { lastPassage: last, siteReachable }: GateState,
  now: number,
): "pass" | "flag" | "deny" | "partition" {
  const { mode, window, partition } = gate.policy.antiPassback;
  if ((mode === "hard" || mode === "timed") && partition === "closed" && siteReachable === false)
    return "partition";
  if (mode === "off" || last === undefined || last.direction !== gate.direction) return "pass";
  if (mode === "soft") return "flag";
  if (mode === "timed") return now - last.at < window ? "deny" : "pass";
  return "deny";
}
