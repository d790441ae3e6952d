import { connect, type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { EmbeddedBroker } from "./embedded-broker.js";

async function connected(url: string): Promise<MqttClient> {
  const client = connect(url, { protocolVersion: 4, reconnectPeriod: 100 });
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  return client;
}

describe("EmbeddedBroker", () => {
  const broker = new EmbeddedBroker();
  const clients: MqttClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true);
    await broker.stop();
  });

  it("relays a message between two MQTT 3.1.1 clients on loopback", async () => {
    const url = await broker.start(0);
    expect(url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const a = await connected(url);
    const b = await connected(url);
    clients.push(a, b);
    await b.subscribeAsync("t/x", { qos: 1 });
    const got = new Promise<string>((resolve) => b.once("message", (_t, p) => resolve(p.toString())));
    await a.publishAsync("t/x", "hello", { qos: 1 });
    expect(await got).toBe("hello");
  });

  it("restarts on the same port, dropping clients, which reconnect", async () => {
    const url = await broker.start(0);
    const a = await connected(url);
    clients.push(a);
    const closed = new Promise<void>((resolve) => a.once("close", () => resolve()));
    const reconnected = new Promise<void>((resolve) => a.once("connect", () => resolve()));
    await broker.restart(200);
    await closed;
    expect(broker.url).toBe(url);
    await reconnected;
    expect(a.connected).toBe(true);
  });
});
