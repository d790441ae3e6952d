/**
 * Something that opens the turnstile: a relay board over MQTT, or a logger.
 *
 * Every implementation must: open for about `ms` milliseconds and close by itself
 * (the close must not depend on this process staying alive, where the device allows);
 * never open after `notAfter` (epoch ms): a late open is worse than none; reject the
 * returned promise when the device is known to be offline, so the gate reports it.
 */
export interface RelayDriver {
  readonly id: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  pulse(command: PulseCommand): Promise<void>;
}

export interface PulseCommand {
  /** How long to hold the relay open, ms. */
  readonly ms: number;
  /** The journal entry id of the decision, to correlate device logs. */
  readonly decisionId: string;
  /** Epoch ms after which the command must not open anything. */
  readonly notAfter: number;
}
