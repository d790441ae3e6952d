import { readFileSync } from "node:fs";
import { connect, type IClientOptions, type MqttClient } from "mqtt";
import type { MqttConfig } from "../../config/mqtt-schema.js";
import { STATUS_PAYLOADS } from "./topics.js";

/** Reads a secret or certificate file; tests pass their own. */
export type ReadFile = (path: string) => Buffer;

/**
 * mqtt.js options for the gate's session: MQTT 5 unless the config asks for 3.1.1; the retained `offline` will on the
 * gate's status topic; no offline queue (`queueQoSZero: false`, and MqttConnection never
 * publishes while disconnected); reconnects driven by MqttConnection's backoff
 * (`reconnectPeriod: 0` here); TLS files and the password read from the config's files.
 */
export function mqttClientOptions(
  config: MqttConfig,
  ids: { readonly site: string; readonly gate: string; readonly statusTopic: string },
  readFile: ReadFile = readFileSync,
): IClientOptions {
  const options: IClientOptions = {
    protocolVersion: config.protocolVersion,
    clientId: config.clientId ?? `passgate-${ids.site}-${ids.gate}`,
    clean: true,
    keepalive: Math.max(1, Math.round(config.keepalive / 1000)),
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    queueQoSZero: false,
    resubscribe: false,
    will: { topic: ids.statusTopic, payload: Buffer.from(STATUS_PAYLOADS.offline), qos: 1, retain: true },
  };
  if (config.username !== undefined) options.username = config.username;
  if (config.passwordFile !== undefined) {
    // Trailing newline from `echo secret > file` is not part of the password.
    options.password = readFile(config.passwordFile)
      .toString("utf8")
      .replace(/\r?\n$/, "");
  }
  if (config.tls !== undefined) {
    const { ca, cert, key, rejectUnauthorized } = config.tls;
    options.rejectUnauthorized = rejectUnauthorized;
    if (ca !== undefined) options.ca = readFile(ca);
    if (cert !== undefined) options.cert = readFile(cert);
    if (key !== undefined) options.key = readFile(key);
  }
  return options;
}

/** Creates the client; it starts connecting at once. Only the composition root calls this. */
export function createMqttClient(config: MqttConfig, options: IClientOptions): MqttClient {
  return connect(config.url, options);
}
