import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mqttSourceSchema } from "../../config/reader-schema.js";
import { TestMosquitto } from "../../daemon/mqtt/testing/mosquitto.js";
import { systemClock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import { MqttScanSource } from "../../reader-bridge/mqtt-scan-source.js";
import { hygieneOptions, mqttOptions } from "../../reader-bridge/reader-options.js";
import { ScanHygiene } from "../../reader-bridge/scan-hygiene.js";
import { ScanRecorder, waitFor } from "../../reader-bridge/testing/scan-recorder.js";
import { EmbeddedBroker } from "../broker/embedded-broker.js";
import { Phone } from "../phone/phone.js";
import { MqttScannerEmulator, type MqttScannerOptions } from "./mqtt-scanner-emulator.js";

const silent = createLogger({ level: "silent" });
const code = new Phone({
  id: "99",
  scheme: "totp",
  totp: { secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", algorithm: "SHA1", digits: 8 },
}).codeAt(Date.now());
const SPACED = "PG1:QF4 9EBT1O8 ";

/** The gate's side: its own MQTT client (3.1.1, as a gate on aedes is set), source and hygiene. */
async function gateReader(url: string, reader: Record<string, unknown>) {
  const client: MqttClient = mqtt.connect(url, {
    protocolVersion: 4,
    reconnectPeriod: 150,
    connectTimeout: 2_000,
  });
  const config = mqttSourceSchema.parse({ type: "mqtt", ...reader });
  const source = new MqttScanSource("mqtt-1", mqttOptions(config), {
    client,
    clock: systemClock,
    logger: silent,
  });
  const hygiene = new ScanHygiene(hygieneOptions(config));
  const rec = new ScanRecorder();
  await source.start(rec);
  await waitFor(() => rec.lastState === "connected", "the gate's reader topic subscription");
  const decided = () => rec.scans.filter((s) => hygiene.check(s.text, s.at) === undefined).map((s) => s.text);
  return {
    rec,
    decided,
    close: async () => {
      await source.stop();
      await client.endAsync(true);
    },
  };
}

async function emulator(url: string, options: MqttScannerOptions): Promise<MqttScannerEmulator> {
  const scanner = new MqttScannerEmulator(options);
  await scanner.start(url);
  return scanner;
}

describe("MqttScannerEmulator → MqttScanSource on a real mosquitto", () => {
  let broker: TestMosquitto;
  beforeAll(async () => {
    broker = await TestMosquitto.start();
  });
  afterAll(async () => {
    await broker.close();
  });

  it("publishes Tasmota SerialReceived on tele/<topic>/RESULT; repeated reads are decided once", async () => {
    const gate = await gateReader(broker.url, { topic: "tele/reader-in/RESULT", format: "tasmota" });
    const scanner = await emulator(broker.url, { format: "tasmota", deviceTopic: "reader-in", reads: 3 });
    expect(scanner.topic).toBe("tele/reader-in/RESULT");
    await scanner.scan(code);
    await waitFor(() => gate.rec.scans.length === 3, "three reads");
    expect(gate.rec.texts).toEqual([code, code, code]);
    expect(gate.rec.scans[2]!.at - gate.rec.scans[0]!.at).toBeLessThan(400);
    expect(gate.decided()).toEqual([code]);
    await scanner.stop();
    await gate.close();
  });

  it("SSerialReceived with CRLF and affixes arrives as the exact text, spaces kept", async () => {
    const gate = await gateReader(broker.url, {
      topic: "tele/reader-out/RESULT",
      format: "tasmota",
      prefix: "<",
      suffix: ">",
    });
    const scanner = await emulator(broker.url, {
      format: "tasmota",
      deviceTopic: "reader-out",
      serialPort: "software",
      terminator: "crlf",
      prefix: "<",
      suffix: ">",
      qos: 1,
    });
    await scanner.scan(SPACED);
    await waitFor(() => gate.rec.scans.length === 1, "the scan");
    expect(gate.rec.texts).toEqual([SPACED]);
    expect(gate.rec.rejections).toEqual([]);
    await scanner.stop();
    await gate.close();
  });

  it("publishes the raw read on its topic, and the Tasmota LWT", async () => {
    const gate = await gateReader(broker.url, { topic: "site/gate-1/scan", format: "raw" });
    const scanner = await emulator(broker.url, {
      format: "raw",
      rawTopic: "site/gate-1/scan",
      terminator: "lf",
    });
    await scanner.scan(code);
    await waitFor(() => gate.rec.scans.length === 1, "the scan");
    expect(gate.rec.texts).toEqual([code]);
    await scanner.stop();
    await gate.close();

    const tasmota = await emulator(broker.url, { format: "tasmota", deviceTopic: "reader-lwt" });
    const watcher = mqtt.connect(broker.url, { protocolVersion: 4 });
    const lwt: string[] = [];
    watcher.on("message", (_t, p) => lwt.push(p.toString()));
    await watcher.subscribeAsync("tele/reader-lwt/LWT");
    await waitFor(() => lwt.includes("Online"), "the retained Online");
    await tasmota.stop();
    await waitFor(() => lwt.includes("Offline"), "Offline");
    await watcher.endAsync(true);
  });
});

describe("MqttScannerEmulator → MqttScanSource on the embedded aedes broker", () => {
  it("delivers a Tasmota scan over MQTT 3.1.1, repeated reads decided once", async () => {
    const broker = new EmbeddedBroker();
    const url = await broker.start(0);
    const gate = await gateReader(url, { topic: "tele/reader-in/RESULT" });
    const scanner = await emulator(url, {
      format: "tasmota",
      deviceTopic: "reader-in",
      reads: 2,
      rereadGapMs: 120,
    });
    await scanner.scan(code);
    await scanner.scan(SPACED);
    await waitFor(() => gate.rec.scans.length === 4, "four reads");
    expect(gate.rec.texts).toEqual([code, code, SPACED, SPACED]);
    expect(gate.decided()).toEqual([code, SPACED]);
    await scanner.stop();
    await gate.close();
    await broker.stop();
  });
});
