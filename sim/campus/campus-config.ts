import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { type Config, type ConfigInput, configSchema } from "../../config/schema.js";

/** A lane of a gate: one reader, the relay of its turnstile, and the turnstile's rotation sensor. */
export interface LanePlan {
  readonly gate: string;
  readonly reader: "in" | "out";
  /** The firmware reader's Tasmota topic (it publishes on tele/<topic>/RESULT). */
  readonly readerTopic: string;
  readonly board:
    | { readonly type: "tasmota"; readonly topic: string }
    | { readonly type: "shelly-gen1"; readonly id: string }
    | { readonly type: "shelly-gen2"; readonly id: string };
  /** Where the board publishes the turnstile's rotation input, and the payload of one rotation. */
  readonly rotationTopic: string;
  readonly rotationPayload: string;
  /**
   * Read by a reader bridge (a serial scanner on a socat pty → `startBridge` → the broker)
   * instead of a firmware reader: the gate's reader is `source: {type: bridge}`.
   */
  readonly bridged: boolean;
}

export interface GatePlan {
  readonly gate: string;
  readonly configPath: string;
  readonly lanes: readonly LanePlan[];
}

/** The campus's site id (the registry's and the MQTT topics'). */
export const CAMPUS_SITE = "sim-campus";
/** Steps either side of the gate's step a code may be from: ±60 s (see faults.ts for the skews). */
export const CAMPUS_TOKEN_WINDOW = 2;
/** How long a grant waits for its rotation before it is `not_passed`. */
const PASSAGE_TIMEOUT = "2s";

/** Default number of bridged lanes: one lane of every second gate (gate-1, gate-3, …). */
export function defaultBridgedLanes(gates: number): number {
  return Math.ceil(gates / 2);
}

/**
 * Which lanes are read through a bridge when `count` of them are: the `in` lane of gate-1,
 * gate-3, …, then of gate-2, gate-4, …, then the `out` lanes in the same order. Keys are
 * `<gate>/<reader>`.
 */
export function bridgedLaneIds(gates: number, count: number): Set<string> {
  const order = [
    ...Array.from({ length: gates }, (_, i) => i).filter((i) => i % 2 === 0),
    ...Array.from({ length: gates }, (_, i) => i).filter((i) => i % 2 === 1),
  ];
  const ids = [...order.map((i) => `gate-${i + 1}/in`), ...order.map((i) => `gate-${i + 1}/out`)];
  return new Set(ids.slice(0, Math.max(0, Math.min(count, ids.length))));
}

/**
 * The lanes of gate `index` (0-based). The boards take turns by gate: Tasmota, Shelly
 * Gen1, Shelly Gen2, each with its turnstile's rotation sensor on the board's input.
 * `bridged`: lane ids (`<gate>/<reader>`) read through a reader bridge.
 */
export function planGate(dir: string, index: number, bridged: ReadonlySet<string> = new Set()): GatePlan {
  const gate = `gate-${index + 1}`;
  const lanes = (["in", "out"] as const).map((reader): LanePlan => {
    const name = `${gate}-${reader}`;
    const readerTopic = `${name}-reader`;
    return { ...boardOf(index, gate, reader, name, readerTopic), bridged: bridged.has(`${gate}/${reader}`) };
  });
  return { gate, configPath: join(dir, gate, "passgate.yaml"), lanes };
}

function boardOf(
  index: number,
  gate: string,
  reader: "in" | "out",
  name: string,
  readerTopic: string,
): Omit<LanePlan, "bridged"> {
  switch (index % 3) {
    case 0:
      return {
        gate,
        reader,
        readerTopic,
        board: { type: "tasmota", topic: `${name}-relay` },
        rotationTopic: `stat/${name}-relay/SWITCH1`,
        rotationPayload: "ON",
      };
    case 1:
      return {
        gate,
        reader,
        readerTopic,
        board: { type: "shelly-gen1", id: `shelly1-${name}` },
        rotationTopic: `shellies/shelly1-${name}/input/0`,
        rotationPayload: "1",
      };
    default:
      return {
        gate,
        reader,
        readerTopic,
        board: { type: "shelly-gen2", id: `shellyplus1-${name}` },
        rotationTopic: `shellyplus1-${name}/status/input:0`,
        rotationPayload: '{"id":0,"state":true}',
      };
  }
}

/**
 * Writes gate `plan`'s config and returns it parsed: two firmware readers on MQTT, a relay
 * board and a rotation sensor per lane, the campus policy, the registry with its push,
 * and quick sync timings so a short run sees uploads and recoveries.
 */
export function writeGateConfig(
  plan: GatePlan,
  options: {
    readonly brokerUrl: string;
    readonly protocolVersion: 4 | 5;
    readonly registryUrl: string;
    readonly registryKeyId: string;
    readonly registryPublicKey: string;
    readonly night: { readonly fromHour: number; readonly toHour: number };
  },
): Config {
  const hour = (h: number) => (h >= 24 ? "24:00" : `${String(h).padStart(2, "0")}:00`);
  const input: ConfigInput = {
    site: CAMPUS_SITE,
    gate: plan.gate,
    timezone: "UTC",
    storage: { path: "./passgate.db" },
    // Made beside the config by makeCampusKeys (sim/campus/campus-trust.ts).
    trust: { keyFile: "./gate.key" },
    token: { window: CAMPUS_TOKEN_WINDOW },
    mqtt: {
      url: options.brokerUrl,
      protocolVersion: options.protocolVersion,
      reconnectMin: "200ms",
      reconnectMax: "1s",
      passage: plan.lanes.map((l) => ({
        reader: l.reader,
        topic: l.rotationTopic,
        payload: l.rotationPayload,
        timeout: PASSAGE_TIMEOUT,
      })),
      siteShare: true,
    },
    registry: {
      url: options.registryUrl,
      trustedKeys: { [options.registryKeyId]: options.registryPublicKey },
      pollInterval: "5s",
    },
    sync: { uploadInterval: "250ms", backoff: { initial: "250ms", max: "2s" }, requestTimeout: "5s" },
    readers: plan.lanes.map((l) => ({
      id: l.reader,
      direction: l.reader,
      source: l.bridged
        ? { type: "bridge" as const }
        : { type: "mqtt" as const, topic: `tele/${l.readerTopic}/RESULT`, format: "tasmota" as const },
    })),
    relays: plan.lanes.map((l) => ({
      id: `${l.reader}-turnstile`,
      reader: l.reader,
      driver:
        l.board.type === "tasmota"
          ? { type: "tasmota" as const, topic: l.board.topic, channel: 1 }
          : { type: l.board.type, id: l.board.id, channel: 0 },
      pulse: "1s",
    })),
    policy: {
      zone: "campus",
      rules: [
        { name: "staff", roles: ["staff"] },
        { name: "students", roles: ["student"] },
        { name: "visitors", roles: ["visitor"], minAssurance: "standard" },
        // Contractors hold a zone grant naming the one gate they work at.
        { name: "contractors", zones: [plan.gate] },
        { name: "night-cleaners", roles: ["cleaner"], schedule: "night" },
      ],
      schedules: {
        night: [
          {
            days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            from: hour(options.night.fromHour),
            to: hour(options.night.toHour),
          },
        ],
      },
      antiPassback: { mode: "soft" },
      // The crowd's bad codes fall on real people's credentials and readers; a lockout or a
      // throttled reader would turn the next valid code into a denial the run could not
      // tell from a false reject.
      lockout: { attempts: 0 },
      guessLimit: { burst: 0 },
    },
  };
  const text = `# A gate of the simulated campus, written by \`passgate sim campus\`.\n${stringify(input)}`;
  writeFileSync(plan.configPath, text);
  const config = configSchema.parse({
    ...input,
    storage: { path: join(plan.configPath, "..", "passgate.db") },
    trust: { keyFile: join(plan.configPath, "..", "gate.key") },
  });
  return config;
}

/** A one-hour schedule window that starts 2 or 3 hours after `now`. */
export function nightWindow(now: number): { fromHour: number; toHour: number } {
  const from = (new Date(now).getUTCHours() + 3) % 24;
  return from === 23 ? { fromHour: 22, toHour: 23 } : { fromHour: from, toHour: from + 1 };
}
