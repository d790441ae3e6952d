import type { Readable } from "node:stream";
import type { Config } from "../../config/schema.js";
import type { Clock } from "../../platform/clock.js";
import { LogThrottle } from "../../platform/log/log-throttle.js";
import type { Logger } from "../../platform/log/logger.js";
import { BridgeFloodLimit } from "../../reader-bridge/bridge/bridge-flood-limit.js";
import { openReaderDevices, type ReaderDevices } from "../../reader-bridge/reader-devices.js";
import { type ReaderSet, startReaders } from "../../reader-bridge/reader-set.js";
import type { Component } from "../component.js";
import type { GateMetrics } from "../http/gate-metrics.js";
import type { ConfigDiff } from "../reload/diff-config.js";
import type { GateComponent } from "./gate.js";
import type { MqttSessionComponent } from "./mqtt-session.js";
import type { TrustComponent } from "./trust.js";

/**
 * Owns the readers: every configured scan source (reader-bridge/reader-set.ts), each
 * isolated and retried, with the device systems and the MQTT client they read through
 * (the gate's own session when it has one). The last to start, so the first scan finds a
 * whole gate, and so the first to stop: once its stop returns no new scan starts, and a
 * decision is synchronous, so none is half done while the rest of the gate stops. A reload
 * stops the readers it removed or changed and starts the ones it added or changed; the
 * others keep running and lose nothing.
 */
export class ReadersComponent implements Component {
  readonly name = "readers";
  private devices: ReaderDevices | undefined;
  private readers: ReaderSet | undefined;
  /** One budget per reader bridge across all the readers it feeds, kept across reader restarts. */
  private readonly floodLimit: BridgeFloodLimit;

  constructor(
    private readonly config: Config,
    private readonly deps: {
      readonly session: MqttSessionComponent;
      readonly trust: TrustComponent;
      readonly gate: GateComponent;
      readonly stdin: Readable;
      readonly clock: Clock;
      readonly logger: Logger;
      /** Counts rejected input; absent without `http:`. */
      readonly metrics: GateMetrics | undefined;
    },
  ) {
    const { burst, perSecond } = config.trust.bridgeLimit;
    this.floodLimit = new BridgeFloodLimit(burst, perSecond);
  }

  /** The reader set, from `start()` on (for `/status` and the gauges). */
  get set(): ReaderSet | undefined {
    return this.readers;
  }

  /** One promise per stream reader (stdin), resolving when its stream ends; empty before the start. */
  ended(): readonly Promise<void>[] {
    return this.readers?.ended ?? [];
  }

  async start(): Promise<void> {
    const { session, gate, stdin, clock, metrics } = this.deps;
    const log = this.deps.logger.child({ component: "reader" });
    // One line per reader and reason every 10 s (`held`: how many were not logged since).
    const rejectionLogs = new LogThrottle(() => clock.now());
    const devices = openReaderDevices(this.config, log, session.parts?.client);
    this.devices = devices;
    const topics = session.parts?.topics;
    // Bridge readers verify each scan against the gate's roster (reader-bridge/bridge-scan-source.ts).
    const bridge =
      topics === undefined
        ? undefined
        : {
            trust: this.deps.trust.site,
            topic: (reader: string) => topics.readerScan(reader),
            gate: this.config.gate,
            freshnessMs: this.config.trust.bridgeFreshness,
            admit: this.floodLimit.admit,
          };
    try {
      this.readers = await startReaders(
        this.config.readers,
        { clock, logger: log, stdin, ...devices, bridge },
        {
          scan: (reader, scan) => gate.scan(reader, scan),
          rejected: (id, reason) => {
            metrics?.scanRejected(id, reason);
            const held = rejectionLogs.admit(`${id}:${reason}`);
            if (held !== undefined) log.warn({ reader: id, reason, held }, "scan input rejected");
          },
        },
      );
    } catch (err) {
      await devices.close();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.readers?.stop();
    await this.devices?.close();
  }

  async reload(diff: ConfigDiff): Promise<void> {
    const readers = this.readers;
    if (readers === undefined) return;
    const { added, removed, changed } = diff.readers;
    for (const id of [...removed, ...changed]) await readers.stopReader(id);
    for (const reader of diff.effective.readers) {
      if (added.includes(reader.id) || changed.includes(reader.id)) await readers.startReader(reader);
    }
  }
}
