import type { Config, Direction } from "../../config/schema.js";
import type { Credential } from "../../daemon/allowlist/credential.js";
import { periodOf } from "../../daemon/allowlist/credential.js";
import { decide } from "../../daemon/decide/decide.js";
import { REASON_TEXTS } from "../../daemon/decide/reason-texts.js";
import type { Decision } from "../../daemon/decide/reasons.js";
import { stalenessBudgets } from "../../daemon/decide/staleness.js";
import { type CredentialStateSources, credentialState } from "../../daemon/gate/credential-state.js";

/** The gate's stores `wouldPass` reads, the ones the daemon's Gate reads for a scan. */
export interface GateFacts extends CredentialStateSources {
  /** Whether the relays a reader opens are reachable; undefined: not known (daemon not asked). */
  readonly relayAvailable?: ((readerId: string) => boolean | undefined) | undefined;
}

/** What the gate would decide at one reader. */
export interface ReaderVerdict {
  readonly reader: string;
  readonly direction: Direction;
  readonly result: Decision["result"];
  readonly reason: Decision["reason"];
  /** What the turnstile's display would say. */
  readonly says: string;
  readonly rule: string | null;
  readonly flags: readonly string[];
}

/**
 * What `decide()` answers for `credential` at each configured reader at `now`, built as
 * daemon/gate/gate.ts builds it for a real scan (daemon/gate/credential-state.ts), except that there is no token: the token
 * is taken as valid for the current step and not yet used (no replay). Everything else is
 * real: mode, lockout, anti-passback presence, allowlist staleness, the policy.
 */
export function wouldPass(
  config: Config,
  credential: Credential,
  facts: GateFacts,
  now: number,
): ReaderVerdict[] {
  const staleness = stalenessBudgets(config);
  const period = periodOf(credential);
  return config.readers.map((reader) => {
    const decision = decide({
      verification: { ok: true, step: Math.floor(now / (period * 1000)), period },
      credential,
      gate: { direction: reader.direction, timezone: config.timezone, policy: config.policy, staleness },
      state: {
        ...credentialState(facts, { zone: config.policy.zone, staleness }, credential, reader.id, now, false),
        relayAvailable: facts.relayAvailable?.(reader.id),
      },
      now,
    });
    return {
      reader: reader.id,
      direction: reader.direction,
      result: decision.result,
      reason: decision.reason,
      says: REASON_TEXTS[decision.reason].en,
      rule: decision.result === "granted" ? (decision.rule ?? null) : null,
      flags: decision.result === "granted" ? [...decision.flags] : [],
    };
  });
}
