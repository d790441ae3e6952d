import type { GateMode } from "../../config/schema.js";
import type { AllowlistStore } from "../allowlist/allowlist-store.js";
import type { Credential } from "../allowlist/credential.js";
import type { GateState } from "../decide/decide.js";
import { allowlistAge, type StalenessBudgets } from "../decide/staleness.js";
import type { LockoutTracker } from "../state/lockout-tracker.js";
import type { PresenceStore } from "../state/presence-store.js";
import type { ReaderGuesses } from "../state/reader-guesses.js";

/** The gate's stores that hold what `decide()` needs to know beyond the token itself. */
export interface CredentialStateSources {
  readonly mode: { get(): { readonly mode: GateMode } };
  readonly lockout: Pick<LockoutTracker, "lockedUntil">;
  readonly guesses: Pick<ReaderGuesses, "throttledUntil">;
  readonly presence: Pick<PresenceStore, "last">;
  readonly allowlist: Pick<AllowlistStore, "stats">;
}

/** The gate settings the state depends on. */
export interface CredentialStateSettings {
  /** The anti-passback zone this gate belongs to (`policy.zone`). */
  readonly zone: string;
  /** Per-role allowlist age budgets; absent: the allowlist's age is not asked. */
  readonly staleness?: StalenessBudgets | undefined;
}

/**
 * The gate state `decide()` takes for `credential` at `reader` at `now` (epoch ms): the mode,
 * whether the reader is throttled, the credential's lockout there, its person's last passage
 * in the zone and, with staleness budgets, the allowlist's age. `replayed` is the caller's: the gate asks its replay guard about the
 * token's step, a lookup without a token (`passgate identity lookup`) takes it as unused.
 * Relay availability is left to the caller too (it belongs to a reader, not a credential).
 * One function for the gate and the CLI, so a lookup answers what a scan would get.
 */
export function credentialState(
  sources: CredentialStateSources,
  settings: CredentialStateSettings,
  credential: Credential,
  reader: string,
  now: number,
  replayed: boolean,
): GateState {
  return {
    mode: sources.mode.get().mode,
    replayed,
    readerThrottledUntil: sources.guesses.throttledUntil(reader, now),
    lockedUntil: sources.lockout.lockedUntil(credential.id, reader, now),
    lastPassage: sources.presence.last(credential.person, settings.zone),
    allowlistAge:
      settings.staleness === undefined ? undefined : allowlistAge(sources.allowlist.stats().syncedAt, now),
  };
}
