import type { RelayDriverConfig } from "../../config/mqtt-schema.js";
import {
  genericRelayTopics,
  shellyGen1Topics,
  shellyGen2Topics,
  tasmotaTopics,
} from "../../daemon/mqtt/topics.js";

/** A relay driven by a gate, as the broker sees it. */
export interface BoardUse {
  readonly driver: Exclude<RelayDriverConfig, { type: "log" }>;
  /** The gate's MQTT client id: a Shelly Gen2 board replies on `<client id>/rpc`. */
  readonly gateClientId: string;
  /** In words, for messages: `relay turnstile-in of gate main-1`. */
  readonly use: string;
}

/** The topics of one relay on its board (daemon/mqtt/topics.ts), split by who publishes them. */
export interface BoardAccess {
  /** The board's name: Tasmota topic, Shelly id, generic device. */
  readonly device: string;
  /** What the gate publishes: the open and hold commands. */
  readonly commands: readonly string[];
  /** What only the board publishes: its relay state, acknowledgements and will. */
  readonly states: readonly string[];
  /** What the board publishes that is not its own alone: a Shelly Gen2's replies on the gate's topic. */
  readonly replies: readonly string[];
  /** What the board subscribes to: its own commands (Tasmota subscribes to all of `cmnd/<topic>/#`). */
  readonly commandFilters: readonly string[];
}

export function boardAccess(use: BoardUse): BoardAccess {
  const d = use.driver;
  switch (d.type) {
    case "tasmota": {
      const t = tasmotaTopics(d.topic, d.channel);
      return {
        device: d.topic,
        commands: [t.power, t.pulseTime],
        states: [t.powerState, t.powerStateSingle, t.lwt],
        replies: [],
        commandFilters: [`cmnd/${d.topic}/#`],
      };
    }
    case "shelly-gen1": {
      const t = shellyGen1Topics(d.id, d.channel);
      return {
        device: d.id,
        commands: [t.command],
        states: [t.state, t.online],
        replies: [],
        commandFilters: [t.command],
      };
    }
    case "shelly-gen2": {
      const t = shellyGen2Topics(d.id, use.gateClientId);
      return {
        device: d.id,
        commands: [t.rpc],
        states: [t.online],
        replies: [t.reply],
        commandFilters: [t.rpc],
      };
    }
    case "generic": {
      const t = genericRelayTopics(d.device, d.channel);
      return {
        device: d.device,
        commands: [t.command, t.hold],
        states: [t.ack, t.availability],
        replies: [],
        commandFilters: [t.command, t.hold],
      };
    }
  }
}

/** First levels after which the device's own name follows: Tasmota, Shelly Gen1, passgate's generic relays. */
const NAMED_SECOND = new Set(["stat", "tele", "cmnd", "shellies", "pgrelay"]);

/**
 * The device an input topic belongs to, which names its account: the second level after
 * `stat/`, `tele/`, `cmnd/`, `shellies/` or `pgrelay/` (`stat/turnstile-1/SWITCH1` →
 * `turnstile-1`), else the first (a Shelly Gen2's `shellyplus1-a8…/status/input:0`). An input
 * on a relay board's own topics is that board's account.
 */
export function inputDevice(topic: string): string {
  const levels = topic.split("/");
  const first = levels[0] ?? "";
  return NAMED_SECOND.has(first) && levels.length >= 3 ? (levels[1] ?? "") : first;
}
