import type { Clock } from "../../platform/clock.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Component } from "../component.js";
import type { StorageComponent } from "./storage.js";

/** How often accepted (credential, step) pairs that can no longer verify are pruned. */
const REPLAY_PRUNE_MS = 60_000;
/**
 * Pairs are pruned only this long after they stop verifying: a clock that runs ahead for a
 * while (and is then stepped back) must not have forgotten pairs that are live again.
 */
const REPLAY_PRUNE_MARGIN_MS = 10 * 60_000;

/**
 * Owns the once-a-minute prune of the replay guard: the pairs in memory and the shared
 * pairs' table. Started right after storage and stopped right before it: it needs
 * nothing but the database.
 */
export class ReplayPrunerComponent implements Component {
  readonly name = "replay-pruner";
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly storage: StorageComponent,
    private readonly deps: { readonly clock: Clock; readonly logger: Logger },
  ) {}

  async start(): Promise<void> {
    const { replay } = this.storage.stores;
    const { clock, logger } = this.deps;
    this.timer = setInterval(() => {
      try {
        const pruned = replay.prune(clock.now() - REPLAY_PRUNE_MARGIN_MS);
        if (pruned > 0) logger.debug({ pruned }, "replay pairs pruned");
      } catch (err) {
        // A damaged file is logged once, by storage (which then denies every scan).
        if (!this.storage.noteError(err, "replay prune"))
          logger.error({ err: describeError(err) }, "replay prune failed");
      }
    }, REPLAY_PRUNE_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }
}
