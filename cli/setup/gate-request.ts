import { randomUUID } from "node:crypto";
import type { MqttConfig } from "../../config/mqtt-schema.js";
import {
  createMqttClient,
  type MqttSessionConfig,
  mqttClientOptions,
} from "../../daemon/mqtt/mqtt-client-options.js";
import { MqttConnection } from "../../daemon/mqtt/mqtt-connection.js";
import { type GateCommand, type GateTopics, gateTopics } from "../../daemon/mqtt/topics.js";
import { readKeyFile } from "../../daemon/trust/key-file.js";
import { signMessage } from "../../daemon/trust/signed-message.js";
import type { OwnSigner } from "../../daemon/trust/site-trust.js";
import type { Clock } from "../../platform/clock.js";
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

/** The running gate's answer to a request (docs/mqtt.md), or undefined when none came in time. */
export interface GateAnswer {
  readonly status?: unknown;
  readonly data?: Record<string, unknown>;
  readonly error?: unknown;
}

/**
 * Sends `command` to the running gate as a message signed by `operator` (site-roster.md),
 * with a fresh transaction id, and waits up to `timeoutMs` for the answer that echoes it.
 * A gate answers only requests its roster's operators signed: no answer may also mean the
 * operator is not in that roster.
 */
export async function signedRequest(
  connection: MqttConnection,
  topics: GateTopics,
  command: GateCommand,
  body: Record<string, unknown>,
  operator: OwnSigner,
  clock: Clock,
  timeoutMs: number,
): Promise<{ answer: GateAnswer | undefined; ms: number }> {
  const transaction = `cli-${randomUUID()}`;
  let answer: GateAnswer | undefined;
  const unsubscribe = connection.subscribe(topics.response(command), (_t, payload) => {
    try {
      const parsed = JSON.parse(payload.toString("utf8")) as GateAnswer & { transaction?: unknown };
      if (parsed.transaction === transaction) answer = parsed;
    } catch {
      // Not JSON: another client's response on the shared topic, not the answer to ours.
      return;
    }
  });
  const sent = clock.now();
  const topic = topics.request(command);
  const request = signMessage({
    topic,
    signer: operator.id,
    privateKey: operator.privateKey,
    body: { ...body, transaction },
    at: clock.now(),
  });
  connection.publish(topic, JSON.stringify(request), { qos: 1 });
  while (answer === undefined && clock.now() - sent < timeoutMs) await sleep(10);
  unsubscribe();
  return { answer, ms: clock.now() - sent };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
