/**
 * Something that opens the turnstile: a relay board over MQTT, or a logger.
 *
 * Every implementation must: open for about `ms` milliseconds and close by itself
 * (the close must not depend on this process staying alive, where the device allows);
 * never open after `notAfter` (epoch ms): a late open is worse than none; reject the
 * returned promise when the device is known to be offline, so the gate reports it
 * (a `RelayError` with its `code`); never queue a command to send after a reconnect.
 * `pulse` resolves once the device confirmed it, where the device reports it.
 */
export interface RelayDriver {
  readonly id: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  pulse(command: PulseCommand): Promise<void>;
  /**
   * Holds the relay open (free passage: fire alarm) or releases it. A hold is state, not a
   * command for one person: it is re-sent when the board comes back online, and a release
   * ends it. Rejects with `offline` when it cannot be sent now.
   */
  hold(open: boolean): Promise<void>;
  /**
   * Whether a pulse now could reach the device: the broker is connected and the device
   * last reported itself online. The gate reads it before deciding (`relay_offline`).
   */
  available(): boolean;
}

export interface PulseCommand {
  /** How long to hold the relay open, ms. */
  readonly ms: number;
  /** The journal entry id of the decision, to correlate device logs. */
  readonly decisionId: string;
  /** Epoch ms after which the command must not open anything. */
  readonly notAfter: number;
}

export type RelayErrorCode = "offline" | "late" | "unconfirmed" | "refused" | "stopped";

/** Why a pulse did not open: `offline` (broker or device away), `late` (past notAfter), … */
export class RelayError extends Error {
  constructor(
    readonly code: RelayErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "RelayError";
  }
}
