import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestMosquitto as Mosquitto } from "../daemon/mqtt/testing/mosquitto.js";
import { systemClock } from "../platform/clock.js";
import { createLogger } from "../platform/log/logger.js";
import { type MqttReaderOptions, MqttScanSource } from "./mqtt-scan-source.js";
import { mqttReaderRig, quickClient } from "./testing/mqtt-reader-rig.js";
import { ScanRecorder, settle, waitFor } from "./testing/scan-recorder.js";
import { describeScanSourceContract } from "./testing/scan-source-contract.js";

const silent = createLogger({ level: "silent" });
const TOPIC = "tele/reader-in/RESULT";

async function connected(c: MqttClient): Promise<void> {
  await waitFor(() => c.connected, "the MQTT client to connect", 5_000);
}

function source(c: MqttClient, options: Partial<MqttReaderOptions> = {}): MqttScanSource {
  return new MqttScanSource(
    "mqtt-1",
    { topic: TOPIC, form: { format: "raw" }, maxBytes: 512, ...options },
    { client: c, clock: systemClock, logger: silent },
  );
}

async function harness(startBroker: boolean) {
  const rig = await mqttReaderRig(startBroker);
  const { readerClient, publisher } = rig;
  const send = async (bytes: Buffer) => {
    await connected(publisher);
    await publisher.publishAsync(TOPIC, bytes, { qos: 1 });
  };
  return { ...rig, source: source(readerClient), maxBytes: 512, sendScan: send };
}

describeScanSourceContract("MqttScanSource (raw payload) on a real mosquitto", () => harness(true), {
  startsWithoutDevice: () => harness(false),
});

describe("MqttScanSource payload forms on a real mosquitto", () => {
  let broker: Mosquitto;
  let readerClient: MqttClient;
  let publisher: MqttClient;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    readerClient = quickClient(broker.url);
    publisher = quickClient(broker.url);
    await connected(readerClient);
    await connected(publisher);
  });
  afterAll(async () => {
    await readerClient.endAsync(true);
    await publisher.endAsync(true);
    await broker.close();
  });

  async function run(options: Partial<MqttReaderOptions>, payloads: (string | Buffer)[], expected: number) {
    const s = source(readerClient, options);
    const rec = new ScanRecorder();
    await s.start(rec);
    try {
      await waitFor(() => rec.lastState === "connected", "subscribed");
      for (const p of payloads) await publisher.publishAsync(TOPIC, p, { qos: 1 });
      // Other topics never reach the source.
      await publisher.publishAsync("tele/other/RESULT", '{"SerialReceived":"PG1:OTHER"}', { qos: 1 });
      await waitFor(() => rec.scans.length + rec.rejections.length >= expected, `${expected} results`);
      await settle(100);
      return rec;
    } finally {
      await s.stop();
    }
  }

  it("reads Tasmota SerialReceived and SSerialReceived, ignoring other RESULT replies", async () => {
    const rec = await run(
      { form: { format: "tasmota" } },
      [
        JSON.stringify({ SerialReceived: " PG1:A B " }),
        JSON.stringify({ POWER: "ON" }),
        JSON.stringify({ SSerialReceived: "PG1:C\r" }),
      ],
      2,
    );
    expect(rec.texts).toEqual([" PG1:A B ", "PG1:C"]);
    expect(rec.rejections).toEqual([]);
  });

  it("refuses malformed Tasmota payloads, control characters and lone surrogates with reasons", async () => {
    const rec = await run(
      { form: { format: "tasmota" } },
      [
        "not json",
        JSON.stringify({ SerialReceived: 42 }),
        '{"SerialReceived":"PG1:\\u001b[2J"}',
        '{"SerialReceived":"\\ud800"}',
      ],
      4,
    );
    expect(rec.rejections).toEqual(["framing", "framing", "control_characters", "not_utf8"]);
    expect(rec.texts).toEqual([]);
  });

  it("reads a JSON field path for ESPHome-style firmware", async () => {
    const rec = await run(
      { form: { format: "json", field: "scan.text" } },
      [JSON.stringify({ scan: { text: "PG1:ESP" } }), JSON.stringify({ scan: {} })],
      2,
    );
    expect(rec.texts).toEqual(["PG1:ESP"]);
    expect(rec.rejections).toEqual(["framing"]);
  });

  it("refuses a 64 KiB JSON payload before parsing it", async () => {
    const rec = await run(
      { form: { format: "tasmota" } },
      [JSON.stringify({ SerialReceived: "A".repeat(64 * 1024) })],
      1,
    );
    expect(rec.rejections).toEqual(["too_long"]);
  });
});
