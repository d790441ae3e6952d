import type { Component } from "../component.js";
import type { ConfigDiff } from "../reload/diff-config.js";

/**
 * A component that writes what happens to it (`start a`, `stop a`, `reload a`) into a
 * log shared with other instances, so a test reads the order; `fail` makes one step throw.
 */
export class RecordingComponent implements Component {
  constructor(
    readonly name: string,
    private readonly log: string[],
    private readonly fail: {
      readonly start?: boolean;
      readonly stop?: boolean;
      readonly reload?: boolean;
    } = {},
  ) {}

  async start(): Promise<void> {
    await this.step("start", this.fail.start);
  }

  async stop(): Promise<void> {
    await this.step("stop", this.fail.stop);
  }

  async reload(_diff: ConfigDiff): Promise<void> {
    await this.step("reload", this.fail.reload);
  }

  private async step(what: string, fail: boolean | undefined): Promise<void> {
    // A turn of the event loop: steps that overlapped would interleave in the log.
    await new Promise((resolve) => setImmediate(resolve));
    this.log.push(`${what} ${this.name}`);
    if (fail === true) throw new Error(`${this.name} failed to ${what}`);
  }
}
