import { type DeliveryChannel, DeliveryError, type OutgoingNotice } from "../delivery-channel.js";
import type { Guardian } from "../guardian-directory.js";

/**
 * A `DeliveryChannel` that answers as scripted, for tests of the worker: each call takes
 * the next answer (`ok`, a temporary or a permanent failure), then `ok` once the script
 * runs out; every call is recorded.
 */
export class ScriptedChannel implements DeliveryChannel {
  readonly sent: { notice: OutgoingNotice; guardian: string }[] = [];
  readonly calls: { notice: OutgoingNotice; guardian: string }[] = [];

  constructor(
    readonly kind: "email" | "webhook",
    private readonly script: ("ok" | "retry" | "permanent")[] = [],
  ) {}

  async send(notice: OutgoingNotice, guardian: Guardian): Promise<void> {
    this.calls.push({ notice, guardian: guardian.id });
    const answer = this.script.shift() ?? "ok";
    if (answer === "retry") throw new DeliveryError("scripted temporary failure");
    if (answer === "permanent") throw new DeliveryError("scripted permanent failure", true);
    this.sent.push({ notice, guardian: guardian.id });
  }

  async close(): Promise<void> {}
}
