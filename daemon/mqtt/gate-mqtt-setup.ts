import type { IClientOptions } from "mqtt";
import type { MqttConfig } from "../../config/mqtt-schema.js";
import { gateClientId, mqttClientOptions, type ReadFile } from "./mqtt-client-options.js";
import { gateTopics } from "./topics.js";

/** Everything the composition root needs to create the gate's MQTT client and connection. */
export interface GateMqttSetup {
  readonly options: IClientOptions;
  readonly clientId: string;
  readonly statusTopic: string;
  readonly backoff: { readonly minMs: number; readonly maxMs: number };
}

export function gateMqttSetup(
  ids: { readonly site: string; readonly gate: string },
  mqtt: MqttConfig,
  readFile?: ReadFile,
): GateMqttSetup {
  const statusTopic = gateTopics({ prefix: mqtt.topicPrefix, site: ids.site, gate: ids.gate }).status;
  const options = mqttClientOptions(mqtt, { ...ids, statusTopic }, readFile);
  return {
    options,
    clientId: options.clientId ?? gateClientId(mqtt, ids.site, ids.gate),
    statusTopic,
    backoff: { minMs: mqtt.reconnectMin, maxMs: Math.max(mqtt.reconnectMin, mqtt.reconnectMax) },
  };
}
