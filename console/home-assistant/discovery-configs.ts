import { GATE_MODES } from "../../config/schema.js";
import { haCommandTopics } from "./ha-command-topics.js";

/** What the discovery configs of one gate are made from. */
export interface DiscoveredGate {
  readonly prefix: string;
  readonly site: string;
  readonly gate: string;
  /** The relay ids of the gate's retained state; empty until it is seen. */
  readonly relays: readonly string[];
  /** What the console's operator may do at this gate (its roster roles and gates). */
  readonly may: { readonly changeMode: boolean; readonly open: boolean };
}

/** Where the configs go. */
export interface DiscoveryContext {
  /** Home Assistant's discovery prefix (`homeassistant` unless changed in HA's MQTT settings). */
  readonly discoveryPrefix: string;
  /** The console's version, shown as the device's software. */
  readonly version?: string | undefined;
}

/** One retained discovery message: topic and JSON text. */
export interface DiscoveryConfig {
  readonly topic: string;
  readonly payload: string;
}

/** Home Assistant's object and node ids allow letters, digits, `_` and `-` only. */
function haId(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, "_");
}

/**
 * The decision events' fields Home Assistant keeps as the sensor's attributes. Person and
 * credential ids are left out on purpose: HA's recorder keeps every attribute for days, and
 * who passed which gate stays in the gate's journal and the console.
 */
const DECISION_ATTRIBUTES = ["result", "reason", "reader", "direction", "at", "flags"] as const;

/**
 * Home Assistant MQTT discovery configs for one gate, in the style of zigbee2mqtt and
 * Tasmota: one HA device per gate, its entities reading the gate's own topics (status,
 * retained state, events; docs/mqtt.md), and the mode select and open buttons commanding
 * the console's HA topics, which the console turns into signed requests. The select is
 * there only where the operator may change modes (admin), the buttons where it may open
 * (guard or admin), each within its roster `gates`: HA shows only what the console's key may do.
 */
export function discoveryConfigs(gate: DiscoveredGate, context: DiscoveryContext): DiscoveryConfig[] {
  const base = `${gate.prefix}/${gate.site}/${gate.gate}`;
  const status = `${base}/status`;
  const node = haId(`passgate_${gate.site}_${gate.gate}`);
  const device = {
    identifiers: [node],
    name: `Gate ${gate.gate}`,
    manufacturer: "passgate",
    model: "Access-control gate",
    ...(context.version === undefined ? {} : { sw_version: context.version }),
  };
  const availability = {
    availability_topic: status,
    payload_available: "online",
    payload_not_available: "offline",
  };
  const commands = haCommandTopics(gate.prefix, gate.site);
  const config = (component: string, object: string, body: Record<string, unknown>): DiscoveryConfig => ({
    topic: `${context.discoveryPrefix}/${component}/${node}/${haId(object)}/config`,
    payload: JSON.stringify({
      unique_id: `${node}_${haId(object)}`,
      device,
      origin: { name: "passgate" },
      ...body,
    }),
  });
  const decision = "value_json.type == 'decision'";
  const attributes = `{${DECISION_ATTRIBUTES.map((a) => `"${a}": value_json.${a}`).join(", ")}}`;
  const configs = [
    // No availability: an offline gate must show as disconnected, not as unavailable.
    config("binary_sensor", "online", {
      name: "Online",
      state_topic: status,
      payload_on: "online",
      payload_off: "offline",
      device_class: "connectivity",
      entity_category: "diagnostic",
    }),
    config("sensor", "last_decision", {
      name: "Last decision",
      icon: "mdi:badge-account",
      state_topic: `${base}/event`,
      // Other events (relay, passage, alarm) leave the last decision as it was.
      value_template: `{% if ${decision} %}{{ value_json.result }}: {{ value_json.reason }}{% else %}{{ this.state }}{% endif %}`,
      json_attributes_topic: `${base}/event`,
      json_attributes_template: `{% if ${decision} %}{{ ${attributes} | tojson }}{% else %}{{ this.attributes | tojson }}{% endif %}`,
      ...availability,
    }),
    // An empty rendering is ignored by HA's event entity: only forced passages become events.
    config("event", "forced_passage", {
      name: "Forced passage",
      icon: "mdi:turnstile-outline",
      state_topic: `${base}/event`,
      event_types: ["forced_passage"],
      value_template:
        "{% if value_json.type == 'alarm' and value_json.result == 'forced_passage' %}" +
        '{"event_type": "forced_passage", "reader": {{ value_json.reader | tojson }}, "direction": {{ value_json.direction | tojson }}}' +
        "{% endif %}",
      ...availability,
    }),
  ];
  if (gate.may.changeMode)
    configs.push(
      config("select", "mode", {
        name: "Mode",
        icon: "mdi:shield-lock-outline",
        state_topic: `${base}/state`,
        value_template: "{{ value_json.mode }}",
        command_topic: commands.modeSet(gate.gate),
        options: [...GATE_MODES],
        ...availability,
      }),
    );
  if (gate.may.open)
    for (const relay of gate.relays)
      configs.push(
        config("button", `open_${relay}`, {
          name: `Open ${relay} once`,
          icon: "mdi:door-open",
          command_topic: commands.openPress(gate.gate, relay),
          payload_press: "PRESS",
          ...availability,
        }),
      );
  return configs;
}
