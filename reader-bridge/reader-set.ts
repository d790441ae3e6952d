import type { Readable } from "node:stream";
import type { MqttClient } from "mqtt";
import type { ReaderConfig } from "../config/schema.js";
import type { SiteTrust } from "../daemon/trust/site-trust.js";
import type { Clock } from "../platform/clock.js";
import { describeError } from "../platform/log/describe-error.js";
import type { Logger } from "../platform/log/logger.js";
import { BridgeScanSource } from "./bridge-scan-source.js";
import { HidScanSource } from "./hid-scan-source.js";
import type { HidSystem } from "./hid-system.js";
import { MqttScanSource } from "./mqtt-scan-source.js";
import { hidOptions, hygieneOptions, mqttOptions, serialOptions } from "./reader-options.js";
import { RejectionCounters } from "./rejection-counters.js";
import { ScanHygiene } from "./scan-hygiene.js";
import type { FeedbackResult, ReaderState, Scan, ScanRejection, ScanSource } from "./scan-source.js";
import { SerialScanSource } from "./serial-scan-source.js";
import type { SerialSystem } from "./serial-system.js";
import { StreamScanSource } from "./stdin-scan-source.js";

/** What the reader bridge is given by the composition root; it creates no client or system itself. */
export interface ReaderBridgeDeps {
  readonly clock: Clock;
  /** The `reader` component logger. */
  readonly logger: Logger;
  readonly stdin: Readable;
  readonly serial: SerialSystem;
  readonly hid: HidSystem;
  /** The shared MQTT client; required only when a reader has `type: mqtt`. */
  readonly mqtt?: MqttClient | undefined;
  /** What bridge readers need: the gate's trust, the scan topic of a reader, the freshness bound. */
  readonly bridge?: BridgeReaderDeps | undefined;
  /** Builds a reader's source; default `createScanSource` (tests pass one that fails). */
  readonly createSource?: (reader: ReaderConfig, deps: ReaderBridgeDeps) => ScanSource;
}

export interface ReaderHandlers {
  /** A scan that passed hygiene; returns the decision's result for the reader's feedback. */
  scan(reader: ReaderConfig, scan: Scan): FeedbackResult | undefined;
  /** Every dropped input, whoever dropped it (source or hygiene), already counted. */
  rejected(reader: string, reason: ScanRejection): void;
}

export interface ReaderSet {
  /** One promise per stream reader (stdin), resolving when its stream ends. */
  readonly ended: readonly Promise<void>[];
  readonly counters: RejectionCounters;
  /** Last state each device reader reported; `failed` while its start is being retried; `stopped` once removed. */
  states(): Record<string, ReaderState | "failed" | "stopped">;
  /** Ids of the readers whose source is running now. */
  running(): readonly string[];
  /** Scans per reader that passed hygiene and were handed to the gate, since start. */
  scanCount(reader: string): number;
  /** Starts one more reader (a config reload added or changed it); isolated and retried like the others. */
  startReader(reader: ReaderConfig): Promise<void>;
  /** Plays `result` on a running reader's beeper/LED (where it takes commands); never rejects. */
  feedback(reader: string, result: FeedbackResult): Promise<void>;
  /** Stops one reader and cancels its retries; the others keep running. */
  stopReader(id: string): Promise<void>;
  stop(): Promise<void>;
}

/** Creates the source a reader's config names. Throws ReaderConfigError when a dependency is missing. */
export function createScanSource(reader: ReaderConfig, deps: ReaderBridgeDeps): ScanSource {
  const { source } = reader;
  const adapterDeps = { clock: deps.clock, logger: deps.logger };
  switch (source.type) {
    case "stdin":
      return new StreamScanSource(reader.id, deps.stdin, deps.clock);
    case "serial":
      return new SerialScanSource(reader.id, serialOptions(source), { ...adapterDeps, system: deps.serial });
    case "hid":
      return new HidScanSource(reader.id, hidOptions(source), { ...adapterDeps, system: deps.hid });
    case "mqtt":
      if (deps.mqtt === undefined)
        throw new ReaderConfigError(reader.id, "an mqtt reader needs the `mqtt:` section");
      return new MqttScanSource(reader.id, mqttOptions(source), { ...adapterDeps, client: deps.mqtt });
    case "bridge": {
      if (deps.mqtt === undefined || deps.bridge === undefined)
        throw new ReaderConfigError(reader.id, "a bridge reader needs the `mqtt:` section");
      const { trust, topic, gate, freshnessMs, admit } = deps.bridge;
      return new BridgeScanSource(
        reader.id,
        { topic: topic(reader.id), gate, freshnessMs, maxBytes: source.maxLength },
        { ...adapterDeps, client: deps.mqtt, trust, ...(admit === undefined ? {} : { admit }) },
      );
    }
  }
}

export interface BridgeReaderDeps {
  readonly trust: Pick<SiteTrust, "check" | "refuse">;
  /** Per-bridge flood limit, shared by the readers a bridge feeds. */
  readonly admit?: (signer: string, now: number) => boolean;
  /** The topic a reader's bridge publishes its scans on. */
  topic(reader: string): string;
  readonly gate: string;
  readonly freshnessMs: number;
}

export class ReaderConfigError extends Error {
  readonly code = "READER_CONFIG";
  constructor(
    readonly reader: string,
    message: string,
  ) {
    super(`reader ${reader}: ${message}`);
  }
}

/** Retry of a reader whose start threw: 1 s doubling to 30 s (tests may shorten the first). */
export const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 30_000;

/**
 * Starts every configured reader, each isolated: its scans pass its own hygiene filter
 * (length, duplicates, rate), rejections are counted per reader and reason, state changes
 * are logged, a throwing handler is caught and logged, and a reader whose `start` throws
 * is retried with backoff while the others and the gate keep running. After each decision
 * the reader's feedback (beep/LED) is sent.
 */
export async function startReaders(
  readers: readonly ReaderConfig[],
  deps: ReaderBridgeDeps,
  handlers: ReaderHandlers,
): Promise<ReaderSet> {
  const log = deps.logger;
  const counters = new RejectionCounters();
  const states = new Map<string, ReaderState | "failed" | "stopped">();
  const running = new Map<string, ScanSource>();
  const scans = new Map<string, number>();
  const timers = new Map<string, NodeJS.Timeout>();
  // A reader's launches belong to one generation; stopping it makes pending retries void.
  const generations = new Map<string, number>();
  const ended: Promise<void>[] = [];
  let stopped = false;

  const reject = (reader: string, reason: ScanRejection) => {
    counters.add(reader, reason);
    try {
      handlers.rejected(reader, reason);
    } catch (err) {
      log.error({ reader, err: describeError(err) }, "rejection handler failed");
    }
  };

  const launch = async (reader: ReaderConfig, attempt: number, generation: number): Promise<void> => {
    if (stopped || generations.get(reader.id) !== generation) return;
    const hygiene = new ScanHygiene(hygieneOptions(reader.source));
    let source: ScanSource | undefined;
    try {
      source = (deps.createSource ?? createScanSource)(reader, deps);
      const self = source;
      await source.start({
        scan: (scan) => {
          const why = hygiene.check(scan.text, scan.at);
          if (why !== undefined) return reject(reader.id, why);
          scans.set(reader.id, (scans.get(reader.id) ?? 0) + 1);
          let result: FeedbackResult | undefined;
          try {
            result = handlers.scan(reader, scan);
          } catch (err) {
            log.error({ reader: reader.id, err: describeError(err) }, "scan handler failed");
            return;
          }
          if (result !== undefined && self.feedback !== undefined) void self.feedback(result);
        },
        rejected: reject,
        state: (id, state) => {
          states.set(id, state);
          if (state === "disconnected") log.warn({ reader: id, state }, "reader disconnected");
          else log.info({ reader: id, state }, `reader ${state}`);
        },
      });
      if (stopped || generations.get(reader.id) !== generation) {
        // Stopped while starting: this source must not deliver.
        await source.stop();
        return;
      }
      running.set(reader.id, source);
      if (reader.source.type === "stdin" && ended.length === 0)
        ended.push(new Promise((resolve) => deps.stdin.once("end", resolve)));
    } catch (err) {
      states.set(reader.id, "failed");
      await source?.stop().catch(() => {});
      if (err instanceof ReaderConfigError) {
        log.error(
          { reader: reader.id, err: describeError(err) },
          "reader cannot start; the gate runs without it",
        );
        return;
      }
      const delay = Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** attempt);
      log.error(
        { reader: reader.id, err: describeError(err), retryInMs: delay },
        "reader failed to start; the gate runs without it and retries",
      );
      const timer = setTimeout(() => {
        timers.delete(reader.id);
        void launch(reader, attempt + 1, generation);
      }, delay);
      timer.unref();
      timers.set(reader.id, timer);
    }
  };

  const startReader = async (reader: ReaderConfig) => {
    const generation = (generations.get(reader.id) ?? 0) + 1;
    generations.set(reader.id, generation);
    states.delete(reader.id);
    await launch(reader, 0, generation);
  };
  const stopSource = async (source: ScanSource) =>
    source.stop().catch((err: unknown) => log.error({ err: describeError(err) }, "reader stop failed"));

  for (const reader of readers) await startReader(reader);

  return {
    ended,
    counters,
    states: () => Object.fromEntries(states),
    running: () => [...running.keys()],
    scanCount: (reader) => scans.get(reader) ?? 0,
    feedback: async (reader, result) => {
      await running.get(reader)?.feedback?.(result);
    },
    startReader,
    stopReader: async (id) => {
      generations.set(id, (generations.get(id) ?? 0) + 1);
      clearTimeout(timers.get(id));
      timers.delete(id);
      const source = running.get(id);
      running.delete(id);
      if (source !== undefined) await stopSource(source);
      states.set(id, "stopped");
      log.info({ reader: id }, "reader stopped");
    },
    stop: async () => {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      for (const source of [...running.values()].reverse()) await stopSource(source);
      const rejected = counters.snapshot();
      if (Object.keys(rejected).length > 0) log.info({ rejected }, "reader input rejected while running");
    },
  };
}
