import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import { type RunningBridge, startBridge } from "../../app/bridge/bridge-app.js";
import { type BridgeConfig, bridgeConfigSchema, bridgeMemberId } from "../../config/bridge-schema.js";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import type { RosterMember } from "../../daemon/trust/roster-member.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import type { PlayedAnswer } from "../../reader-bridge/bridge/scan-sender.js";
import { SerialScannerEmulator } from "../scanners/serial-scanner-emulator.js";
import type { GatePlan, LanePlan } from "./campus-config.js";

/** A bridged lane's scans as its bridge counted them (`state().scans`), over every start. */
export interface BridgeCounts {
  readonly scansSent: number;
  readonly answered: number;
  readonly noAnswer: number;
  /** Scans never sent: too old once the broker (or the gate) was back, or the queue full. */
  readonly dropped: number;
}

/**
 * The campus's bridges drop a waiting scan after 1.5 s (the default is 2 s): the crowd
 * times a late open from when the code was shown, the gate from when the bridge read it,
 * so a scan sent at the very end of a 2 s freshness could open a few ms past the crowd's
 * 2 s. With 1.5 s every scan the gate decides opens well within both.
 */
const CAMPUS_BRIDGE_FRESHNESS = "1500ms";

/** Time the bridge gets to read a code typed just before it stops. */
const TYPED_READ_MS = 50;

/**
 * Makes the bridge of a lane its key (0600, in its gate's folder, as `passgate bridge init`
 * would on the bridge's board) and returns its roster member, as `passgate bridge pair`
 * prints it for `trust add` at the gate.
 */
export function makeBridgeKey(plan: GatePlan, lane: LanePlan): { member: RosterMember; keyFile: string } {
  const keyFile = join(dirname(plan.configPath), `bridge-${lane.reader}.key`);
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  writeFileSync(keyFile, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  return {
    keyFile,
    member: {
      id: bridgeMemberId({ name: bridgeName(lane) }),
      kind: "bridge",
      gate: lane.gate,
      readers: [lane.reader],
      publicKey: publicKeyText(publicKey),
      status: "active",
    },
  };
}

/** The bridge's name in the site (its member id is `bridge:<name>`). */
export function bridgeName(lane: LanePlan): string {
  return `${lane.gate}-${lane.reader}`;
}

/** Where the lane's scanner pty is: the bridge opens `readerPath`, the crowd types into `devicePath`. */
export function scannerPaths(plan: GatePlan, lane: LanePlan): { readerPath: string; devicePath: string } {
  const dir = dirname(plan.configPath);
  return {
    readerPath: join(dir, `${lane.reader}-scanner.tty`),
    devicePath: join(dir, `${lane.reader}-scanner-device.tty`),
  };
}

/**
 * A bridged lane's config, as `passgate bridge init` writes it: one serial reader on the
 * lane's pty, the gate's key to check its answers, the campus broker with the gates'
 * reconnect timings.
 */
export function campusBridgeConfig(
  plan: GatePlan,
  lane: LanePlan,
  options: {
    readonly brokerUrl: string;
    readonly protocolVersion: 4 | 5;
    readonly site: string;
    readonly gateKey: string;
    readonly keyFile: string;
  },
): BridgeConfig {
  return bridgeConfigSchema.parse({
    site: options.site,
    gate: lane.gate,
    name: bridgeName(lane),
    keyFile: options.keyFile,
    gateKey: options.gateKey,
    mqtt: {
      url: options.brokerUrl,
      protocolVersion: options.protocolVersion,
      reconnectMin: "200ms",
      reconnectMax: "1s",
    },
    readers: [
      {
        id: lane.reader,
        direction: lane.reader,
        source: { type: "serial", path: scannerPaths(plan, lane).readerPath },
      },
    ],
    freshness: CAMPUS_BRIDGE_FRESHNESS,
  });
}

/**
 * A lane's reader bridge, run in this process with `startBridge`: a serial scanner
 * emulator on a real socat pty, the bridge that reads it and sends each scan, signed, to
 * the gate over the broker. `unplug` stops the bridge (its board loses power) and `plugIn`
 * starts it again with the same config and key.
 */
export class CampusBridge {
  private readonly scanner: SerialScannerEmulator;
  private running: RunningBridge | undefined;
  private readonly typing = new Set<Promise<unknown>>();
  /** Counts of the bridge's earlier runs (each start counts from 0). */
  private earlier: BridgeCounts = { scansSent: 0, answered: 0, noAnswer: 0, dropped: 0 };

  constructor(
    readonly config: BridgeConfig,
    paths: { readonly readerPath: string; readonly devicePath: string },
    private readonly deps: {
      readonly clock: Clock;
      readonly logger: Logger;
      /** An answer the bridge played on the reader (with no answer: "try again"). */
      readonly onPlayed: (answer: PlayedAnswer) => void;
    },
  ) {
    this.scanner = new SerialScannerEmulator(paths.readerPath, paths.devicePath);
  }

  get id(): string {
    return bridgeMemberId(this.config);
  }

  /** Whether a code shown now is read: the bridge runs and has its scanner open. */
  get reading(): boolean {
    const reader = this.config.readers[0]?.id ?? "";
    return this.running !== undefined && this.running.state().readers[reader] === "connected";
  }

  /** The scanner's pty first (the bridge opens it), then the bridge. */
  async start(): Promise<void> {
    await this.scanner.start();
    await this.plugIn();
  }

  /** Types one scan into the scanner's end of the pty, as the scanner would. */
  scan(text: string): Promise<void> {
    const typing = this.scanner.scan(text);
    const settled = typing.catch(() => undefined);
    this.typing.add(settled);
    void settled.finally(() => this.typing.delete(settled));
    return typing;
  }

  /** The bridge's board loses power: the bridge stops (its will says offline). */
  async unplug(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (running === undefined) return;
    // A code typed just before is read first: left in the pty, the next start would read it
    // seconds after it was shown.
    await Promise.all([...this.typing]);
    await new Promise((resolve) => setTimeout(resolve, TYPED_READ_MS));
    await running.stop();
    this.earlier = add(this.earlier, countsOf(running));
  }

  /** Power back: the same config and key, a new session. */
  async plugIn(): Promise<void> {
    if (this.running !== undefined) return;
    this.running = await startBridge(this.config, {
      clock: this.deps.clock,
      logger: this.deps.logger,
      stdin: new PassThrough(),
      version: "sim",
      onPlayed: this.deps.onPlayed,
    });
  }

  async stop(): Promise<void> {
    await this.unplug();
    await this.scanner.stop();
  }

  counts(): BridgeCounts {
    return this.running === undefined ? this.earlier : add(this.earlier, countsOf(this.running));
  }
}

function countsOf(bridge: RunningBridge): BridgeCounts {
  const { scans } = bridge.state();
  return {
    scansSent: scans.sent,
    answered: scans.answered,
    noAnswer: scans.noAnswer,
    dropped: Object.values(scans.dropped).reduce((sum, n) => sum + n, 0),
  };
}

function add(a: BridgeCounts, b: BridgeCounts): BridgeCounts {
  return {
    scansSent: a.scansSent + b.scansSent,
    answered: a.answered + b.answered,
    noAnswer: a.noAnswer + b.noAnswer,
    dropped: a.dropped + b.dropped,
  };
}
