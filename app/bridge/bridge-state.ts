import type { BridgeConfig } from "../../config/bridge-schema.js";
import type { ScanSender } from "../../reader-bridge/bridge/scan-sender.js";
import type { ReaderSet } from "../../reader-bridge/reader-set.js";

/** What a bridge says about itself: retained on `<gate>/bridge/<name>/state`, and `passgate bridge status`. */
export interface BridgeState {
  readonly bridge: string;
  readonly gate: string;
  readonly version: string;
  readonly online: boolean;
  /** Whether its gate has it in its roster (asked of the gate's status); null until the gate answered. */
  readonly paired: boolean | null;
  /** Each reader's connection: connected, connecting, disconnected, failed, stopped. */
  readonly readers: Record<string, string>;
  /** Epoch ms of the last scan a reader delivered, if any. */
  readonly lastScanAt: number | null;
  readonly scans: {
    readonly sent: number;
    readonly answered: number;
    readonly noAnswer: number;
    readonly queued: number;
    /** Scans never sent, by reason (stale: too old once the broker was back). */
    readonly dropped: Record<string, number>;
    /** Reader input refused before it became a scan, by reason. */
    readonly rejected: Record<string, number>;
  };
  /** Answers on the broker that were not played, by reason (not signed by the gate, unknown scan). */
  readonly refusedAnswers: Record<string, number>;
  readonly at: number;
}

export function bridgeState(parts: {
  readonly config: BridgeConfig;
  readonly id: string;
  readonly version: string;
  readonly sender: ScanSender;
  readonly readers: ReaderSet | undefined;
  readonly rejected: ReadonlyMap<string, number>;
  readonly connected: boolean;
  readonly paired: boolean | undefined;
  readonly now: number;
}): BridgeState {
  const { sender } = parts;
  return {
    bridge: parts.id,
    gate: parts.config.gate,
    version: parts.version,
    online: parts.connected,
    paired: parts.paired ?? null,
    readers: Object.fromEntries(
      parts.config.readers.map((r) => [r.id, String(parts.readers?.states()[r.id] ?? "starting")]),
    ),
    lastScanAt: sender.lastScanAt ?? null,
    scans: {
      sent: sender.counts.sent,
      answered: sender.counts.answered,
      noAnswer: sender.counts.noAnswer,
      queued: sender.queued,
      dropped: Object.fromEntries(sender.counts.dropped),
      rejected: Object.fromEntries(parts.rejected),
    },
    refusedAnswers: Object.fromEntries(sender.counts.refusedAnswers),
    at: parts.now,
  };
}
