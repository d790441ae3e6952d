import type { MqttClient } from "mqtt";
import type { Config } from "../../config/schema.js";
import { gateMqttSetup } from "../../daemon/mqtt/gate-mqtt-setup.js";
import { createMqttClient } from "../../daemon/mqtt/mqtt-client-options.js";
import { MqttConnection } from "../../daemon/mqtt/mqtt-connection.js";
import { type GateTopics, gateTopics } from "../../daemon/mqtt/topics.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Component } from "../component.js";

/** The session as the parts after it use it; absent without `mqtt:`. */
export interface MqttSessionParts {
  readonly client: MqttClient;
  readonly connection: MqttConnection;
  /** The client id: Shelly Gen2 replies go to `<clientId>/rpc`. */
  readonly clientId: string;
  readonly topics: GateTopics;
}

/**
 * Owns the gate's one MQTT session (with `mqtt:`): the client and its MqttConnection,
 * shared by relays, events, requests, inputs, site sharing, the registry push and the
 * firmware readers (docs/mqtt.md). Its start waits up to 2 s for the broker, so the relays
 * that start after it find it connected. It stops after all of them, and its stop publishes
 * the retained `offline`: a gate still pulsing or reading must not be announced gone.
 * Without `mqtt:` it does nothing and every part runs without MQTT.
 */
export class MqttSessionComponent implements Component {
  readonly name = "mqtt";
  private session: MqttSessionParts | undefined;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  /** The session, from `start()` on; undefined without `mqtt:`. */
  get parts(): MqttSessionParts | undefined {
    return this.session;
  }

  /** Whether the session is connected now; undefined without `mqtt:`. */
  connected(): boolean | undefined {
    return this.config.mqtt === undefined ? undefined : this.session?.connection.connected === true;
  }

  async start(): Promise<void> {
    const { mqtt, site, gate } = this.config;
    if (mqtt === undefined) return;
    const setup = gateMqttSetup({ site, gate }, mqtt);
    const client = createMqttClient(mqtt, setup.options);
    const connection = new MqttConnection(client, {
      ...setup,
      logger: this.logger.child({ component: "mqtt" }),
    });
    this.session = {
      client,
      connection,
      clientId: setup.clientId,
      topics: gateTopics({ prefix: mqtt.topicPrefix, site, gate }),
    };
    try {
      await connection.start();
    } catch (err) {
      this.session = undefined;
      await client.endAsync(true);
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.session?.connection.stop();
  }
}
