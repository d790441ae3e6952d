import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Config } from "../config/schema.js";
import { describeError } from "../platform/log/describe-error.js";
import type { Logger } from "../platform/log/logger.js";
import { type HidSystem, nodeHidSystem } from "./hid-system.js";
import { nodeSerialSystem, type SerialSystem } from "./serial-system.js";

export interface ReaderDevices {
  readonly serial: SerialSystem;
  readonly hid: HidSystem;
  /** Connected only when some reader has `type: mqtt` and the config has `mqtt:`. */
  readonly mqtt: MqttClient | undefined;
  close(): Promise<void>;
}

/**
 * The real device systems and, when a firmware reader needs one, the MQTT client the
 * readers share. Called by the composition root (daemon.ts, the CLI) only. Pass the gate's
 * own client as `shared` to use one broker session for everything (it is then not ended
 * here); without it, the readers get a client of their own.
 */
export function openReaderDevices(config: Config, logger: Logger, shared?: MqttClient): ReaderDevices {
  let client: MqttClient | undefined;
  const needsMqtt = config.mqtt !== undefined && config.readers.some((r) => r.source.type === "mqtt");
  if (needsMqtt && shared !== undefined) {
    return { serial: nodeSerialSystem(), hid: nodeHidSystem(), mqtt: shared, close: async () => {} };
  }
  if (needsMqtt && config.mqtt !== undefined) {
    const m = config.mqtt;
    const options: IClientOptions = {
      // At most 1 s between reconnects: a firmware reader is read again within 2 s of the broker's return.
      reconnectPeriod: 1_000,
      connectTimeout: 5_000,
      ...(m.clientId === undefined ? {} : { clientId: `${m.clientId}-readers` }),
      ...(m.username === undefined ? {} : { username: m.username }),
      ...(m.passwordFile === undefined ? {} : { password: readFileSync(m.passwordFile, "utf8").trim() }),
      ...(m.tls === undefined
        ? {}
        : {
            rejectUnauthorized: m.tls.rejectUnauthorized,
            ...(m.tls.ca === undefined ? {} : { ca: readFileSync(m.tls.ca) }),
            ...(m.tls.cert === undefined ? {} : { cert: readFileSync(m.tls.cert) }),
            ...(m.tls.key === undefined ? {} : { key: readFileSync(m.tls.key) }),
          }),
    };
    client = mqtt.connect(m.url, options);
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
