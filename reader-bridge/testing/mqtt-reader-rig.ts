import mqtt, { type MqttClient } from "mqtt";
import { TestMosquitto } from "../../daemon/mqtt/testing/mosquitto.js";

/** A client that reconnects quickly, so a test sees a broker's return within a second. */
export function quickClient(url: string): MqttClient {
  return mqtt.connect(url, { reconnectPeriod: 150, connectTimeout: 1_000 });
}

/**
 * The device side of the `ScanSource` contract for a reader on MQTT: a real mosquitto (down
 * at first when `startBroker` is false), a client for the source under test and one that
 * publishes as the reader does. Unplugging the device stops the broker; plugging it in or
 * back starts it again on the same port.
 */
export async function mqttReaderRig(startBroker: boolean): Promise<{
  readonly readerClient: MqttClient;
  readonly publisher: MqttClient;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  plugIn(): Promise<void>;
  close(): Promise<void>;
}> {
  const broker = await TestMosquitto.start();
  if (!startBroker) await broker.down();
  const readerClient = quickClient(broker.url);
  const publisher = quickClient(broker.url);
  return {
    readerClient,
    publisher,
    unplug: () => broker.down(),
    replug: () => broker.up(),
    plugIn: () => broker.up(),
    close: async () => {
      await readerClient.endAsync(true);
      await publisher.endAsync(true);
      await broker.close();
    },
  };
}
