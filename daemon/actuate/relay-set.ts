import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { ConfiguredRelay } from "./create-relay-drivers.js";
import { RelayError } from "./relay-driver.js";

/** A grant is actuated only this soon after the scan, ms; later, the person has gone. */
export const OPEN_DEADLINE_MS = 2_000;

/** What became of one relay's pulse for one decision. */
export interface PulseResult {
  readonly relay: string;
  readonly decisionId: string;
  readonly result: "opened" | "failed";
  /** The RelayError code, when it failed. */
  readonly error?: string | undefined;
}

/**
 * The gate's relays, grouped by the reader whose grants open them. Knows whether a
 * reader's relays are reachable (the gate asks before deciding) and pulses them on a
 * grant, reporting each result; a pulse never throws into the scan path.
 */
export class RelaySet {
  /** Pulses sent and not yet confirmed or failed. */
  private readonly pending = new Set<Promise<PulseResult>>();

  constructor(
    private readonly relays: readonly ConfiguredRelay[],
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    for (const r of this.relays) await r.driver.start();
  }

  /**
   * Leaves every relay closed: waits for pulses in flight to be confirmed or fail (each
   * driver bounds that by its confirmation timeout), then sends an explicit off to every
   * relay (`hold(false)`: Tasmota `POWER OFF`, Shelly `off`, generic `{"open":false}`),
   * which also ends a pulse still running and a free-passage hold. A board mid-pulse
   * would close by its own pulse timer anyway; the off does not wait for it, so a person
   * at the arm during a shutdown may have to scan again. A relay that cannot be reached
   * is logged; its board closes by its own timer. Then the drivers stop.
   */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    for (const r of this.relays) {
      try {
        await r.driver.hold(false);
      } catch (err) {
        this.logger.warn(
          { relay: r.config.id, err: describeError(err) },
          "relay off not sent at stop; the board closes by its own pulse timer",
        );
      }
    }
    for (const r of [...this.relays].reverse()) await r.driver.stop();
  }

  /** True when every relay of `readerId` can be reached now (true when it has none). */
  availableFor(readerId: string): boolean {
    return this.relays.every((r) => r.config.reader !== readerId || r.driver.available());
  }

  /** Holds every relay open (free passage) or releases them; failures are logged, the hold is kept. */
  async holdAll(open: boolean): Promise<void> {
    for (const r of this.relays) {
      try {
        await r.driver.hold(open);
      } catch (err) {
        this.logger.error({ relay: r.config.id, open, err: describeError(err) }, "relay hold not sent yet");
      }
    }
  }

  /** Relay id → reachable, for the retained gate state. */
  availability(): Record<string, boolean> {
    return Object.fromEntries(this.relays.map((r) => [r.config.id, r.driver.available()]));
  }

  has(relayId: string): boolean {
    return this.relays.some((r) => r.config.id === relayId);
  }

  /** Pulses the relays of `readerId` (or the one relay `relayId`) for their configured time, or `ms` for a test pulse. */
  open(
    target: { readonly readerId: string } | { readonly relayId: string; readonly ms?: number },
    decisionId: string,
    notAfter: number,
    report: (result: PulseResult) => void,
  ): Promise<PulseResult[]> {
    const chosen = this.relays.filter((r) =>
      "readerId" in target ? r.config.reader === target.readerId : r.config.id === target.relayId,
    );
    return Promise.all(
      chosen.map((r) => {
        const ms = "ms" in target && target.ms !== undefined ? target.ms : r.config.pulse;
        const pulse = this.pulseOne(r, ms, decisionId, notAfter, report);
        this.pending.add(pulse);
        const settled = () => this.pending.delete(pulse);
        pulse.then(settled, settled);
        return pulse;
      }),
    );
  }

  private async pulseOne(
    r: ConfiguredRelay,
    ms: number,
    decisionId: string,
    notAfter: number,
    report: (result: PulseResult) => void,
  ): Promise<PulseResult> {
    let result: PulseResult;
    try {
      await r.driver.pulse({ ms, decisionId, notAfter });
      result = { relay: r.config.id, decisionId, result: "opened" };
    } catch (err) {
      const code = err instanceof RelayError ? err.code : "error";
      this.logger.error({ relay: r.config.id, decisionId, err: describeError(err) }, "relay pulse failed");
      result = { relay: r.config.id, decisionId, result: "failed", error: code };
    }
    report(result);
    return result;
  }
}
