import type { AllowlistStore } from "../allowlist/allowlist-store.js";
import { periodOf } from "../allowlist/credential.js";
import type { Journal } from "../journal/journal.js";
import { type ReplayGuard, replayExpiry } from "../state/replay-guard.js";

/** The longest credential period the allowlist accepts (daemon/allowlist/credential.ts), seconds. */
const MAX_PERIOD_SECONDS = 3600;
/** As the replay pruner: pairs stay this long after they stop verifying, for a clock stepped back. */
const MARGIN_MS = 10 * 60_000;
/** The largest token window the config accepts (`token.window`). */
const MAX_WINDOW = 10;

/**
 * How far back (ms) the journal must reach for `rememberJournaledGrants` with token window
 * `window`: a grant at `at` is of a step that verifies until at most `at + (2·window + 2)`
 * periods, and the pair is kept `MARGIN_MS` longer.
 */
export function replayHorizonMs(window: number): number {
  return (2 * window + 2) * MAX_PERIOD_SECONDS * 1000 + MARGIN_MS;
}

/**
 * How long journal entries must be kept before they may be pruned, whatever the token
 * window: the gate's own grants live in the replay guard only through their entries
 * (22 h 10 min at the largest window, rounded up to a day).
 */
export const JOURNAL_KEEPS_FOR_REPLAY_MS = 24 * 3_600_000;

/** The largest window's horizon, which `JOURNAL_KEEPS_FOR_REPLAY_MS` must cover (a test checks it). */
export const LONGEST_REPLAY_HORIZON_MS = replayHorizonMs(MAX_WINDOW);

/**
 * Puts the gate's own grants that may still verify back into the replay guard at start,
 * from their journal entries (the only durable record of them: a grant's commit writes no
 * replay row). Each pair expires as its credential's period says; a credential the
 * allowlist no longer has keeps its pair for the longest period, in case it comes back.
 * Returns how many pairs it remembered.
 */
export function rememberJournaledGrants(
  journal: Journal,
  replay: ReplayGuard,
  allowlist: Pick<AllowlistStore, "get">,
  options: { readonly now: number; readonly window: number },
): number {
  let count = 0;
  for (const grant of journal.grantsSince(options.now - replayHorizonMs(options.window))) {
    const credential = allowlist.get(grant.credential);
    const expiresAt =
      credential === undefined
        ? grant.at + (2 * options.window + 2) * MAX_PERIOD_SECONDS * 1000
        : replayExpiry(grant.step, periodOf(credential), options.window);
    replay.remember(grant.credential, grant.step, expiresAt);
    count++;
  }
  return count;
}
