import { describeError } from "../platform/log/describe-error.js";
import type { Logger } from "../platform/log/logger.js";
import type { Component } from "./component.js";
import type { ConfigDiff } from "./reload/diff-config.js";

/** Thrown by a change asked for after the stop began. */
export class StoppingError extends Error {
  readonly code = "stopping";
  constructor() {
    super("the gate is stopping");
  }
}

/**
 * Starts components in the order given and stops them in reverse, so each stops while
 * everything it uses still runs. A failed start stops the ones already started (in
 * reverse) and rethrows; a failed stop is logged and the others still stop. The start,
 * changes (reloads) and the stop run one at a time, in the order asked: a stop waits for a
 * reload under way, and a reload asked for after the stop began is refused.
 */
export class ComponentList {
  /** Started and not yet stopped, in start order. */
  private readonly running: Component[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private stopped: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  /** True from the moment `stop()` is called (health reports it while the stop runs). */
  get stopping(): boolean {
    return this.stopped !== undefined;
  }

  start(components: readonly Component[]): Promise<void> {
    return this.exclusive(async () => {
      for (const component of components) {
        try {
          await component.start();
        } catch (err) {
          this.logger.error(
            { component: component.name, err: describeError(err) },
            "component failed to start; stopping the ones started",
          );
          await this.stopRunning();
          throw err;
        }
        this.running.push(component);
      }
    });
  }

  /** Runs `change` once the start and earlier changes are done; refused (StoppingError) once stopping. */
  exclusive<T>(change: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.stopping) throw new StoppingError();
      return change();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Hands `diff` to each running component, in start order; the first that throws ends the
   * reload. Call it inside `exclusive`, so no stop runs meanwhile.
   */
  async reload(diff: ConfigDiff): Promise<void> {
    for (const component of this.running) await component.reload?.(diff);
  }

  /** Stops every running component in reverse start order; later calls return the same promise. */
  stop(): Promise<void> {
    this.stopped ??= this.queue.then(() => this.stopRunning());
    return this.stopped;
  }

  private async stopRunning(): Promise<void> {
    for (const component of this.running.splice(0).reverse()) {
      try {
        await component.stop();
      } catch (err) {
        this.logger.error(
          { component: component.name, err: describeError(err) },
          "component failed to stop; stopping the others",
        );
      }
    }
  }
}
