import { RetiredAllowlistClearing } from "../../daemon/allowlist/retired-clearing.js";
import type { Clock } from "../../platform/clock.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Component } from "../component.js";
import type { StorageComponent } from "./storage.js";

/**
 * Owns the paced clearing of allowlists no longer in force (daemon/allowlist/retired-clearing.ts):
 * a snapshot's apply leaves the allowlist it replaced to it and wakes it. Started right after
 * storage and stopped right before it, like the replay pruner: it needs nothing but the
 * database, and a process killed mid-clearing has it finish at the next start.
 */
export class RetiredAllowlistsComponent implements Component {
  readonly name = "retired-allowlists";
  private clearing: RetiredAllowlistClearing | undefined;

  constructor(
    private readonly storage: StorageComponent,
    private readonly deps: { readonly clock: Clock; readonly logger: Logger },
  ) {}

  async start(): Promise<void> {
    const { clock, logger } = this.deps;
    this.clearing = new RetiredAllowlistClearing(this.storage.stores.allowlist, {
      now: () => clock.now(),
      onError: (err) => {
        // A damaged file is logged once, by storage (which then denies every scan).
        if (!this.storage.noteError(err, "allowlist clearing"))
          logger.error(
            { err: describeError(err) },
            "clearing a replaced allowlist failed; tried again later",
          );
      },
    });
    this.clearing.start();
  }

  /** An apply may have retired an allowlist: clear it now, paced. */
  wake(): void {
    this.clearing?.wake();
  }

  async stop(): Promise<void> {
    this.clearing?.stop();
    this.clearing = undefined;
  }
}
