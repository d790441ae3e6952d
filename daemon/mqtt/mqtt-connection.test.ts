import { once } from "node:events";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Aedes } from "aedes";
import { connect, connectAsync } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mqttSchema } from "../../config/mqtt-schema.js";
import { createLogger } from "../../platform/log/logger.js";
import { gateMqttSetup } from "./gate-mqtt-setup.js";
import { createMqttClient, MAX_PACKET_BYTES, mqttClientOptions } from "./mqtt-client-options.js";
import { MqttConnection, topicMatches } from "./mqtt-connection.js";
import { TestMosquitto, waitUntil } from "./testing/mosquitto.js";

const logger = createLogger({ level: "silent" });
let broker: TestMosquitto;
beforeAll(async () => {
  broker = await TestMosquitto.start();
});
afterAll(async () => {
  await broker.close();
});

describe("mqttClientOptions", () => {
  it("MQTT 5, a retained offline will, no offline queue, TLS files and the password from its file", () => {
    const files: Record<string, string> = { "/pw": "s3cret\n", "/ca": "CA", "/crt": "CRT", "/key": "KEY" };
    const config = mqttSchema.parse({
      url: "mqtts://broker:8883",
      username: "gate",
      passwordFile: "/pw",
      tls: { ca: "/ca", cert: "/crt", key: "/key" },
    });
    const o = mqttClientOptions(config, { site: "s", gate: "g", statusTopic: "passgate/s/g/status" }, (p) =>
      Buffer.from(files[p] ?? ""),
    );
    expect(o).toMatchObject({
      protocolVersion: 5,
      clientId: "passgate-s-g",
      queueQoSZero: false,
      reconnectPeriod: 0,
      username: "gate",
      password: "s3cret",
      rejectUnauthorized: true,
      will: { topic: "passgate/s/g/status", qos: 1, retain: true },
      properties: { maximumPacketSize: MAX_PACKET_BYTES },
    });
    expect(o.will?.payload.toString()).toBe("offline");
    expect(o.ca?.toString()).toBe("CA");
    expect(o.key?.toString()).toBe("KEY");
  });
});

describe("MqttConnection against mosquitto", () => {
  it("publishes the birth, leaves the will on a crash, reconnects with backoff and never publishes while away", async () => {
    const config = mqttSchema.parse({ url: broker.url, reconnectMin: "100ms", reconnectMax: "400ms" });
    const setup = gateMqttSetup({ site: "s", gate: "conn-1" }, config);
    const statuses: string[] = [];
    const watcher = connect(broker.url, { protocolVersion: 5, reconnectPeriod: 100 });
    watcher.on("message", (_t, p) => statuses.push(p.toString()));
    await new Promise<void>((r) => watcher.once("connect", () => r()));
    await watcher.subscribeAsync(setup.statusTopic);

    const client = createMqttClient(config, setup.options);
    const connection = new MqttConnection(client, { ...setup, logger });
    await connection.start();
    await waitUntil(() => statuses.at(-1) === "online", "the birth");

    // A crash: the socket goes without a DISCONNECT, so the broker publishes the will.
    client.stream.destroy();
    await waitUntil(() => statuses.at(-1) === "offline", "the will");
    await waitUntil(() => connection.connected, "the reconnect");
    await waitUntil(() => statuses.at(-1) === "online", "a new birth");

    await broker.down();
    await waitUntil(() => !connection.connected, "the loss");
    expect(connection.publish("x/y", "open")).toBe(false);
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, 700));
    await broker.up();
    await waitUntil(() => connection.connected, "the reconnect after the outage");
    // Backoff capped at 400 ms: back within about that after the broker returns.
    expect(Date.now() - downAt).toBeLessThan(700 + 2_000);
    await waitUntil(() => watcher.connected, "the watcher");
    await connection.stop();
    await watcher.endAsync();
  }, 30_000);

  it("advertises its maximum packet size: the broker drops an oversized publish before sending it", async () => {
    const config = mqttSchema.parse({ url: broker.url });
    const setup = gateMqttSetup({ site: "s", gate: "conn-3" }, config);
    const connection = new MqttConnection(createMqttClient(config, setup.options), { ...setup, logger });
    await connection.start();
    await waitUntil(() => connection.connected, "the connection");
    const received: number[] = [];
    connection.subscribe("s/big/+", (_topic, payload) => received.push(payload.length));
    const sender = await connectAsync(broker.url, { protocolVersion: 5 });
    // Subscriptions go out on connect; wait until a small one comes through.
    for (let i = 0; received.length === 0; i++) {
      if (i > 100) throw new Error("the subscription never came through");
      await sender.publishAsync("s/big/probe", "x", { qos: 1 });
      await new Promise((r) => setTimeout(r, 50));
    }
    received.length = 0;
    await sender.publishAsync("s/big/1", Buffer.alloc(MAX_PACKET_BYTES + 100, 0x41), { qos: 1 });
    await sender.publishAsync("s/big/2", Buffer.alloc(100, 0x42), { qos: 1 });
    await waitUntil(() => received.length > 0, "the small publish after the big one");
    // The big one never reached the gate: not dropped by it (no too_large count), not sent at all.
    expect(received).toEqual([100]);
    expect(connection.dropCounts().size).toBe(0);
    await sender.endAsync();
    await connection.stop();
  });

  it("flush puts what was published on the socket before the tick ends, and it arrives once", async () => {
    const config = mqttSchema.parse({ url: broker.url });
    const setup = gateMqttSetup({ site: "s", gate: "conn-flush" }, config);
    const client = createMqttClient(config, setup.options);
    const connection = new MqttConnection(client, { ...setup, logger });
    await connection.start();
    await waitUntil(() => connection.connected, "the connection");
    const watcher = await connectAsync(broker.url, { protocolVersion: 5 });
    const got: string[] = [];
    watcher.on("message", (_t, p) => got.push(p.toString()));
    await watcher.subscribeAsync("s/flush/+", { qos: 0 });
    const socket = client.stream as unknown as { writableLength: number; writableCorked: number };

    // mqtt-packet corks the socket until the end of the tick: the packet waits in node.
    connection.publish("s/flush/later", "a");
    expect(socket.writableCorked).toBeGreaterThan(0);
    expect(socket.writableLength).toBeGreaterThan(0);
    await new Promise((r) => setImmediate(r));

    connection.publish("s/flush/now", "b");
    connection.flush();
    // Handed to the kernel at once, still inside this tick.
    expect(socket.writableCorked).toBe(0);
    expect(socket.writableLength).toBe(0);
    await waitUntil(() => got.length === 2, "both messages");
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(["a", "b"]);
    await watcher.endAsync();
    await connection.stop();
  });

  it("stops within its bound when the broker stops acknowledging, leaving offline to the will", async () => {
    // A broker that still holds the socket but acknowledges nothing more: mqtt.js would wait
    // for the PUBACK of `offline`, and a graceful end for it, forever.
    const aedes = await Aedes.createBroker();
    let answering = true;
    aedes.authorizePublish = (_client, _packet, done) => {
      if (answering) done(null);
    };
    const server = createServer((socket) => aedes.handle(socket));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    try {
      const config = mqttSchema.parse({ url: `mqtt://127.0.0.1:${port}`, protocolVersion: 4 });
      const setup = gateMqttSetup({ site: "s", gate: "conn-2" }, config);
      const connection = new MqttConnection(createMqttClient(config, setup.options), {
        ...setup,
        logger,
        stopWaitMs: 300,
      });
      await connection.start();
      await waitUntil(() => connection.connected, "the connection");
      answering = false;
      const started = Date.now();
      await connection.stop();
      // Two bounded waits at most (offline, then the close), not forever.
      expect(Date.now() - started).toBeLessThan(300 * 2 + 500);
      expect(connection.connected).toBe(false);
    } finally {
      server.close();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    }
  });

  it("counts a publish the broker's ACLs refuse, and says once, as an error, what to do", async () => {
    // Readable by mosquitto's own user, which it drops to when started as root.
    const dir = mkdtempSync(join(tmpdir(), "passgate-acl-"));
    chmodSync(dir, 0o755);
    const aclFile = join(dir, "acl");
    writeFileSync(aclFile, "topic readwrite passgate/s/acl-1/#\n", { mode: 0o644 });
    const strict = await TestMosquitto.start({ config: ["allow_anonymous true", `acl_file ${aclFile}`] });
    const lines: { level: number; msg: string; topic?: string }[] = [];
    const log = createLogger({
      level: "info",
      destination: new Writable({
        write(chunk, _e, done) {
          for (const l of String(chunk).split("\n")) if (l !== "") lines.push(JSON.parse(l));
          done();
        },
      }),
    });
    try {
      const config = mqttSchema.parse({ url: strict.url });
      const setup = gateMqttSetup({ site: "s", gate: "acl-1" }, config);
      const connection = new MqttConnection(createMqttClient(config, setup.options), {
        ...setup,
        logger: log,
      });
      await connection.start();
      const acked: string[] = [];
      connection.publish("passgate/s/acl-1/event", "{}", { qos: 1 }, () => acked.push("own"));
      for (let i = 0; i < 3; i++) connection.publish("passgate/s/shared/acl-1/alive", "{}", { qos: 1 });
      await waitUntil(
        () => connection.refusedPublishes().get("passgate/s/shared/acl-1/alive") === 3,
        "3 refusals",
      );
      expect(acked).toEqual(["own"]);
      expect([...connection.refusedPublishes().keys()]).toEqual(["passgate/s/shared/acl-1/alive"]);
      const said = lines.filter((l) => l.msg.includes("passgate broker acl"));
      expect(said).toHaveLength(1);
      expect(said[0]).toMatchObject({ level: 50, topic: "passgate/s/shared/acl-1/alive" });
      await connection.stop();
    } finally {
      await strict.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("matches topic filters", () => {
    expect(topicMatches("a/+/c", "a/b/c")).toBe(true);
    expect(topicMatches("a/+/c", "a/b/d")).toBe(false);
    expect(topicMatches("a/#", "a/b/c")).toBe(true);
    expect(topicMatches("a/b", "a/b/c")).toBe(false);
    expect(topicMatches("a/b", "a/b")).toBe(true);
    expect(topicMatches("a/b/c", "a/b")).toBe(false);
    expect(topicMatches("a/#", "a")).toBe(true);
    expect(topicMatches("+", "a/b")).toBe(false);
  });
});
