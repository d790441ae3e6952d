import type { MqttClient } from "mqtt";
import type { Config } from "../config/schema.js";
import { createMqttClient, mqttClientOptions } from "../daemon/mqtt/mqtt-client-options.js";
import { describeError } from "../platform/log/describe-error.js";
import type { Logger } from "../platform/log/logger.js";
import { type HidSystem, nodeHidSystem } from "./hid-system.js";
import { nodeSerialSystem, type SerialSystem } from "./serial-system.js";

export interface ReaderDevices {
  readonly serial: SerialSystem;
  readonly hid: HidSystem;
  /** The shared client, or one of the readers' own when some reader has `type: mqtt`; needs `mqtt:`. */
  readonly mqtt: MqttClient | undefined;
  close(): Promise<void>;
}

/**
 * The real device systems and the MQTT client firmware readers read through. Called by the
 * composition root (app/components/readers.ts, the CLI) only. Pass the gate's own client as
 * `shared` to use one broker session for everything (it is then not ended here; it is
 * handed on even when no reader needs it yet, for a firmware reader a reload adds);
 * without it, the readers get a client of their own when one of them needs it.
 */
export function openReaderDevices(config: Config, logger: Logger, shared?: MqttClient): ReaderDevices {
  let client: MqttClient | undefined;
  const needsMqtt =
    config.mqtt !== undefined &&
    config.readers.some((r) => r.source.type === "mqtt" || r.source.type === "bridge");
  if (config.mqtt !== undefined && shared !== undefined) {
    return { serial: nodeSerialSystem(), hid: nodeHidSystem(), mqtt: shared, close: async () => {} };
  }
  if (needsMqtt && config.mqtt !== undefined) {
    const options = mqttClientOptions(config.mqtt, { kind: "readers", site: config.site, gate: config.gate });
    client = createMqttClient(config.mqtt, options);
    // mqtt.js emits `error` for refused connects; without a listener that would crash the process.
    client.on("error", (err) => logger.warn({ err: describeError(err) }, "reader MQTT client error"));
  }
  return {
    serial: nodeSerialSystem(),
    hid: nodeHidSystem(),
    mqtt: client,
    close: async () => {
      await client?.endAsync();
    },
  };
}
