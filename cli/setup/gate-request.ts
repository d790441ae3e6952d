import { randomUUID } from "node:crypto";
import type { MqttConfig } from "../../config/mqtt-schema.js";
import {
  createMqttClient,
  type MqttSessionConfig,
  mqttClientOptions,
} from "../../daemon/mqtt/mqtt-client-options.js";
import { MqttConnection } from "../../daemon/mqtt/mqtt-connection.js";
import { type GateTopics, gateTopics } from "../../daemon/mqtt/topics.js";
import { readKeyFile } from "../../daemon/trust/key-file.js";
import type { OwnSigner } from "../../daemon/trust/site-trust.js";
import type { Logger } from "../../platform/log/logger.js";
import { operatorKeyFile } from "./operator-key.js";

/** The operator `--operator NAME [--key FILE]` names: its member id and its private key. */
export function operatorSigner(name: string, keyFile?: string): OwnSigner {
  return { id: `operator:${name}`, privateKey: readKeyFile(keyFile ?? operatorKeyFile(name)) };
}

/**
 * A session of the CLI on the gate's broker, beside the running gate: its own client id (the
 * gate's would disconnect the running gate) and no will (this is not the gate). The caller
 * starts and stops it.
 */
export function cliConnection(
  config: {
    readonly site: string;
    readonly gate: string;
    readonly mqtt: MqttSessionConfig & Pick<MqttConfig, "topicPrefix" | "reconnectMin" | "reconnectMax">;
  },
  logger: Logger,
): { connection: MqttConnection; topics: GateTopics; clientId: string } {
  const mqtt = config.mqtt;
  const topics = gateTopics({ prefix: mqtt.topicPrefix, site: config.site, gate: config.gate });
  const clientId = `passgate-cli-${config.site}-${config.gate}-${randomUUID().slice(0, 8)}`;
  const options = mqttClientOptions(mqtt, {
    site: config.site,
    gate: config.gate,
    statusTopic: topics.status,
  });
  delete options.will;
  options.clientId = clientId;
  const connection = new MqttConnection(createMqttClient(mqtt, options), {
    backoff: { minMs: mqtt.reconnectMin, maxMs: mqtt.reconnectMax },
    logger,
  });
  return { connection, topics, clientId };
}
