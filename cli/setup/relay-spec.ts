import type { RelayDriverConfig } from "../../config/mqtt-schema.js";

export const RELAY_KINDS = ["tasmota", "shelly-gen1", "shelly-gen2", "generic", "log"] as const;
export type RelayKind = (typeof RELAY_KINDS)[number];

/** What names the board for each kind: Tasmota's %topic%, a Shelly's id, a generic board's device. */
export function relayTargetLabel(kind: RelayKind): string {
  switch (kind) {
    case "tasmota":
      return "the board's MQTT topic (Tasmota %topic%, e.g. turnstile-1)";
    case "shelly-gen1":
      return "the Shelly id (e.g. shelly1-98CDAC1F03A5)";
    case "shelly-gen2":
      return "the Shelly MQTT topic prefix (e.g. shellyplus1-a8032ab12345)";
    case "generic":
      return "the device name (e.g. relay-7)";
    case "log":
      return "nothing (log only)";
  }
}

/** The `driver:` of a relay; `target` is the topic or id (ignored for log), `channel` the board's default when absent. */
export function relayDriverOf(
  kind: RelayKind,
  target: string | undefined,
  channel?: number,
): RelayDriverConfig {
  const t = target ?? "";
  switch (kind) {
    case "log":
      return { type: "log" };
    case "tasmota":
      return { type: "tasmota", topic: t, channel: channel ?? 1 };
    case "generic":
      return { type: "generic", device: t, channel: channel ?? 1 };
    case "shelly-gen1":
      return { type: "shelly-gen1", id: t, channel: channel ?? 0 };
    case "shelly-gen2":
      return { type: "shelly-gen2", id: t, channel: channel ?? 0 };
  }
}

/** The topic or id a driver addresses, for listings. */
export function relayTargetOf(driver: RelayDriverConfig): string {
  switch (driver.type) {
    case "log":
      return "log";
    case "tasmota":
      return `tasmota ${driver.topic} POWER${driver.channel}`;
    case "generic":
      return `generic ${driver.device} channel ${driver.channel}`;
    case "shelly-gen1":
    case "shelly-gen2":
      return `${driver.type} ${driver.id} channel ${driver.channel}`;
  }
}

export function isRelayKind(text: string): text is RelayKind {
  return (RELAY_KINDS as readonly string[]).includes(text);
}
