import type { MqttConfig } from "../../config/mqtt-schema.js";
import type { RelayConfig } from "../../config/schema.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import type { MqttConnection } from "../mqtt/mqtt-connection.js";
import { GenericRelayDriver } from "./generic-relay-driver.js";
import { LogRelayDriver } from "./log-relay-driver.js";
import type { MqttRelayDeps } from "./mqtt-relay-base.js";
import type { RelayDriver } from "./relay-driver.js";
import { ShellyGen1RelayDriver } from "./shelly-gen1-relay-driver.js";
import { ShellyGen2RelayDriver } from "./shelly-gen2-relay-driver.js";
import { TasmotaRelayDriver } from "./tasmota-relay-driver.js";

/** A relay as the daemon uses it: its config and its driver. */
export interface ConfiguredRelay {
  readonly config: RelayConfig;
  readonly driver: RelayDriver;
}

export class RelaySetupError extends Error {
  readonly code = "relay_setup";
}

/**
 * Builds the driver of each configured relay. MQTT drivers share the gate's one
 * connection (created by the composition root); without `mqtt:` only `log` relays work.
 */
export function createRelayDrivers(
  relays: readonly RelayConfig[],
  deps: {
    readonly mqtt?: {
      readonly config: MqttConfig;
      readonly connection: MqttConnection;
      /** The gate's client id (gateClientId): a Shelly Gen2 board answers on `<it>/rpc`. */
      readonly clientId: string;
    };
    readonly clock: Clock;
    readonly logger: Logger;
  },
): ConfiguredRelay[] {
  return relays.map((config) => {
    const log = deps.logger.child({ component: "relay", relay: config.id });
    const d = config.driver;
    if (d.type === "log") return { config, driver: new LogRelayDriver(config.id, log) };
    if (deps.mqtt === undefined) {
      throw new RelaySetupError(`relay ${config.id}: driver ${d.type} needs the mqtt: section`);
    }
    const mqttDeps: MqttRelayDeps = {
      connection: deps.mqtt.connection,
      clock: deps.clock,
      logger: log,
      commandExpiryMs: deps.mqtt.config.commandExpiry,
      confirmTimeoutMs: deps.mqtt.config.confirmTimeout,
    };
    switch (d.type) {
      case "generic":
        return { config, driver: new GenericRelayDriver(config.id, d, mqttDeps) };
      case "tasmota":
        return { config, driver: new TasmotaRelayDriver(config.id, d, mqttDeps) };
      case "shelly-gen1":
        return { config, driver: new ShellyGen1RelayDriver(config.id, d, mqttDeps) };
      case "shelly-gen2":
        return {
          config,
          driver: new ShellyGen2RelayDriver(config.id, { ...d, src: deps.mqtt.clientId }, mqttDeps),
        };
      default:
        throw new RelaySetupError(`relay ${config.id}: unknown driver`);
    }
  });
}
