import { VERIFICATION_FAILURES } from "../verify/verify-token.js";

/**
 * Every reason a scan can be denied: a closed set, documented in docs/decisions.md.
 * The first six come from token verification (pass-token.md), the rest from the gate's
 * state and access policy.
 */
export const DENY_REASONS = [
  ...VERIFICATION_FAILURES,
  /** A reader bridge's scan that reached the gate later than `trust.bridgeFreshness` after it was scanned. */
  "stale_scan",
  /** The (credential, step) pair already opened a gate of this site. */
  "replayed",
  /** The gate is in lockdown mode: nobody passes. */
  "lockdown",
  /** Too many bad tokens for this credential at this reader recently. */
  "locked_out",
  /** This reader took its budget of bad codes: it refuses every scan for a while (an alarm says so). */
  "reader_throttled",
  "suspended",
  "revoked",
  /** The allowlist is older (since its last verified sync) than the budget of the credential's roles. */
  "allowlist_stale",
  /** Before the credential's `validFrom`. */
  "credential_not_yet_valid",
  /** After the credential's `validUntil`. */
  "credential_expired",
  /** No rule of this gate admits the credential's roles or zones in this direction. */
  "not_allowed_here",
  /** A rule admits the credential, but not at this time or on this holiday. */
  "outside_schedule",
  /** A rule admits the credential's roles, but its identity assurance is below the rule's minimum. */
  "assurance_too_low",
  /** The person's last passage in this zone was in the same direction. */
  "anti_passback",
  /**
   * Fail-closed anti-passback (`policy.antiPassback.partition: closed`) while this gate cannot
   * hear its zone: the person's last passage may be at a gate it does not hear (docs/scale.md).
   */
  "anti_passback_partition",
  /** The relay board that would open this gate is offline: the gate does not pretend to open. */
  "relay_offline",
  /** The gate's database file is damaged (quick_check or SQLITE_CORRUPT): nobody passes until it is restored. */
  "database_corrupt",
  /** Something failed on the decision path: the gate fails closed. */
  "internal_error",
] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

export const GRANT_REASONS = [
  /** Verified and admitted by a rule. */
  "ok",
  /** The gate is in free-passage mode (fire alarm): everybody passes, and it is journaled. */
  "free_passage",
] as const;
export type GrantReason = (typeof GRANT_REASONS)[number];

/** Remarks on a decision that do not change it. */
export const DECISION_FLAGS = [
  /** Soft anti-passback: granted although the last passage was in the same direction. */
  "anti_passback_soft",
  /** Free passage granted a scan that did not verify. */
  "unverified",
] as const;
export type DecisionFlag = (typeof DECISION_FLAGS)[number];

export type Decision =
  | {
      readonly result: "granted";
      readonly reason: GrantReason;
      readonly flags: readonly DecisionFlag[];
      /** The policy rule that admitted the credential, when one did. */
      readonly rule?: string;
    }
  | { readonly result: "denied"; readonly reason: DenyReason; readonly flags: readonly DecisionFlag[] };

export function deny(reason: DenyReason, flags: readonly DecisionFlag[] = []): Decision {
  return { result: "denied", reason, flags };
}
