import type { Logger } from "../../platform/log/logger.js";
import type { PulseCommand, RelayDriver } from "./relay-driver.js";

/** A relay that only logs what it would do: for bench setups and the first runs of a gate. */
export class LogRelayDriver implements RelayDriver {
  /** Pulses commanded so far, and the last one: what tests and `status` look at. */
  pulseCount = 0;
  lastPulse: PulseCommand | undefined;

  constructor(
    readonly id: string,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async hold(open: boolean): Promise<void> {
    this.logger.warn({ open }, open ? "relay held open (log only)" : "relay released (log only)");
  }

  available(): boolean {
    return true;
  }

  async pulse(command: PulseCommand): Promise<void> {
    this.pulseCount++;
    this.lastPulse = command;
    this.logger.info({ ms: command.ms, decisionId: command.decisionId }, "relay pulse (log only)");
  }
}
