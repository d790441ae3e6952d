import type { Config } from "../../../config/schema.js";
import type { Db } from "../../../platform/database/database.js";
import { createLogger } from "../../../platform/log/logger.js";
import { FakeClock } from "../../../platform/testing/fake-clock.js";
import type { AllowlistStore } from "../../allowlist/allowlist-store.js";
import { Journal } from "../../journal/journal.js";
import { migrateGateState } from "../../state/gate-state-schema.js";
import { LockoutTracker } from "../../state/lockout-tracker.js";
import { ModeStore } from "../../state/mode-store.js";
import { PresenceStore } from "../../state/presence-store.js";
import { ReaderGuesses } from "../../state/reader-guesses.js";
import { ReplayGuard } from "../../state/replay-guard.js";
import { TokenVerifier } from "../../verify/verify-token.js";
import { Gate, type GateParts, type GateSettings } from "../gate.js";

/**
 * A `Gate` of `config`'s gate deciding on `allowlist`, with every store of its state opened
 * on `db` (migrated first) as the daemon's storage opens them: a token window of one step,
 * normal mode since `now`, a `FakeClock` at `now` and a silent logger. `settings` and
 * `parts` replace any of these (a journal the test already holds, a logger it reads).
 */
export function gateOnDatabase(
  db: Db,
  allowlist: AllowlistStore,
  config: Config,
  now: number,
  over: { readonly settings?: Partial<GateSettings>; readonly parts?: Partial<GateParts> } = {},
): Gate {
  migrateGateState(db);
  const parts = over.parts ?? {};
  // Each default is made only when the test gives none: a store's constructor may read or
  // write the database (the mode store records its starting mode).
  return new Gate(
    { gate: config.gate, timezone: config.timezone, policy: config.policy, window: 1, ...over.settings },
    {
      ...parts,
      db,
      allowlist,
      verifier: parts.verifier ?? new TokenVerifier(1),
      journal: parts.journal ?? Journal.open(db),
      replay: parts.replay ?? new ReplayGuard(db),
      presence: parts.presence ?? new PresenceStore(db),
      lockout: parts.lockout ?? new LockoutTracker(db, config.policy.lockout),
      guesses: parts.guesses ?? new ReaderGuesses(db, config.policy.guessLimit),
      mode: parts.mode ?? ModeStore.load(db, { mode: "normal", since: now, source: "config" }),
      clock: parts.clock ?? new FakeClock(now),
      logger: parts.logger ?? createLogger({ level: "silent" }),
    },
  );
}
