import { afterEach, describe, expect, it } from "vitest";
import { brokerPerFile } from "../../app/testing/broker-per-file.js";
import { type MqttConfig, mqttSchema } from "../../config/mqtt-schema.js";
import type { RelayConfig } from "../../config/schema.js";
import { systemClock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import type { DeviceEmulator } from "../../sim/devices/device-emulator.js";
import { GenericRelayEmulator } from "../../sim/devices/generic-relay-emulator.js";
import { ShellyGen1Emulator } from "../../sim/devices/shelly-gen1-emulator.js";
import { ShellyGen2Emulator } from "../../sim/devices/shelly-gen2-emulator.js";
import { TasmotaEmulator } from "../../sim/devices/tasmota-emulator.js";
import { createMqttClient, mqttClientOptions } from "../mqtt/mqtt-client-options.js";
import { MqttConnection } from "../mqtt/mqtt-connection.js";
import { waitUntil } from "../mqtt/testing/mosquitto.js";
import { createRelayDrivers } from "./create-relay-drivers.js";
import { type RelayDriver, RelayError } from "./relay-driver.js";

const logger = createLogger({ level: "silent" });
const broker = brokerPerFile();

interface Rig {
  readonly driver: RelayDriver;
  readonly device: DeviceEmulator;
  readonly connection: MqttConnection;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let n = 0;
async function rig(kind: "generic" | "tasmota" | "shelly-gen1" | "shelly-gen2"): Promise<Rig> {
  n++;
  const config: MqttConfig = mqttSchema.parse({
    url: broker.url,
    commandExpiry: "2s",
    confirmTimeout: "1500ms",
    reconnectMin: "100ms",
    reconnectMax: "400ms",
  });
  const statusTopic = `passgate/test/gate-${n}/status`;
  const clientId = `passgate-test-${n}-${process.pid}`;
  const client = createMqttClient(config, {
    ...mqttClientOptions(config, { site: "test", gate: `gate-${n}`, statusTopic }),
    clientId,
  });
  const connection = new MqttConnection(client, { statusTopic, backoff: { minMs: 100, maxMs: 400 }, logger });
  const deviceName = `dev-${n}`;
  const driverConfig: RelayConfig["driver"] =
    kind === "generic"
      ? { type: "generic", device: deviceName, channel: 1 }
      : kind === "tasmota"
        ? { type: "tasmota", topic: deviceName, channel: 1 }
        : kind === "shelly-gen1"
          ? { type: "shelly-gen1", id: deviceName, channel: 0 }
          : { type: "shelly-gen2", id: deviceName, channel: 0 };
  const device: DeviceEmulator =
    kind === "generic"
      ? new GenericRelayEmulator(deviceName)
      : kind === "tasmota"
        ? new TasmotaEmulator(deviceName)
        : kind === "shelly-gen1"
          ? new ShellyGen1Emulator(deviceName, 5_000)
          : new ShellyGen2Emulator(deviceName);
  await device.start(broker.url);
  const [relay] = createRelayDrivers([{ id: "turnstile", reader: "in", driver: driverConfig, pulse: 1500 }], {
    mqtt: { config, connection, clientId },
    clock: systemClock,
    logger,
  });
  if (relay === undefined) throw new Error("no relay");
  await connection.start();
  await relay.driver.start();
  cleanups.push(async () => {
    await relay.driver.stop();
    await connection.stop();
    await device.stop();
  });
  await waitUntil(() => relay.driver.available(), "the relay to be available");
  return { driver: relay.driver, device, connection };
}

function pulse(driver: RelayDriver, id: string, ms = 1500, deadlineMs = 2000) {
  return driver.pulse({ ms, decisionId: id, notAfter: Date.now() + deadlineMs });
}

async function codeOf(p: Promise<void>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return err instanceof RelayError ? err.code : `other: ${String(err)}`;
  }
}

describe.each(["generic", "tasmota", "shelly-gen1", "shelly-gen2"] as const)("%s relay driver", (kind) => {
  it("opens the device for the pulse length and resolves on its confirmation", async () => {
    const { driver, device } = await rig(kind);
    await pulse(driver, "d-1", 1500);
    expect(device.opens).toHaveLength(1);
    // Shelly Gen1 has no timer in the command: its duration is the driver's own "off".
    if (kind !== "shelly-gen1") expect(device.opens[0]?.ms).toBe(1500);
    await pulse(driver, "d-2", 800);
    expect(device.opens).toHaveLength(2);
    if (kind !== "shelly-gen1") expect(device.opens[1]?.ms).toBe(800);
  });

  it("holds the relay open for free passage until released, then pulses normally again", async () => {
    const { driver, device } = await rig(kind);
    const channel = kind.startsWith("shelly") ? 0 : 1;
    await driver.hold(true);
    await waitUntil(() => device.isOn(channel), "the relay to be held open");
    // Longer than any pulse timer (Shelly Gen1's Auto OFF here is 5 s: it is not on a hold's path).
    await new Promise((r) => setTimeout(r, 1200));
    expect(device.isOn(channel)).toBe(true);
    await driver.hold(false);
    await waitUntil(() => !device.isOn(channel), "the relay to be released");
    await pulse(driver, "after-hold", 300);
    await waitUntil(() => !device.isOn(channel), "the pulse to end by itself", 5_000);
    if (kind !== "shelly-gen1") expect(device.opens.at(-1)?.ms).toBe(300);
  });

  it("never sends a command already past its deadline", async () => {
    const { driver, device } = await rig(kind);
    const late = driver.pulse({ ms: 1000, decisionId: "late-1", notAfter: Date.now() - 1 });
    expect(await codeOf(late)).toBe("late");
    await new Promise((r) => setTimeout(r, 300));
    expect(device.received).toHaveLength(0);
  });

  it("reports the board offline once it drops off, and refuses to pulse", async () => {
    const { driver, device } = await rig(kind);
    await device.dropOff();
    await waitUntil(() => !driver.available(), "the relay to go offline");
    expect(await codeOf(pulse(driver, "off-1"))).toBe("offline");
    expect(device.opens).toHaveLength(0);
  });

  it("rejects an open the device acted on but never confirmed", async () => {
    const { driver, device } = await rig(kind);
    device.reportState = false;
    expect(await codeOf(pulse(driver, "u-1"))).toBe("unconfirmed");
  });

  it("while the broker stops and restarts under a stream of scans: no open after its deadline, none lost silently", async () => {
    const { driver, device } = await rig(kind);
    const issued: { at: number; result: Promise<string> }[] = [];
    const stream = (async () => {
      for (let i = 0; i < 40; i++) {
        issued.push({ at: Date.now(), result: codeOf(pulse(driver, `s-${i}`, 200)) });
        await new Promise((r) => setTimeout(r, 75));
      }
    })();
    await new Promise((r) => setTimeout(r, 600));
    await broker.mosquitto.down();
    await new Promise((r) => setTimeout(r, 800));
    await broker.mosquitto.up();
    await stream;
    const results = await Promise.all(issued.map((i) => i.result));
    // Every scan ended in a known outcome: confirmed, or an error the gate reports.
    for (const r of results) expect(["ok", "offline", "unconfirmed"]).toContain(r);
    expect(results.filter((r) => r === "offline").length).toBeGreaterThan(0);
    expect(results.filter((r) => r === "ok").length).toBeGreaterThan(0);
    // No device open happened more than the deadline (2 s) after the scan it belongs to.
    for (const open of device.opens) {
      const scanAt = Math.max(...issued.filter((i) => i.at <= open.at).map((i) => i.at));
      expect(open.at - scanAt).toBeLessThanOrEqual(2000);
    }
    // Every confirmed pulse was executed by the device.
    expect(device.opens.length).toBeGreaterThanOrEqual(results.filter((r) => r === "ok").length);
    await waitUntil(() => driver.available(), "the relay to be available again");
    expect(await codeOf(pulse(driver, "after"))).toBe("ok");
  }, 30_000);
});

describe("generic relay protocol", () => {
  it("the device acts once on a duplicated command and refuses an expired one", async () => {
    const { driver, device } = await rig("generic");
    const emulator = device as GenericRelayEmulator;
    await pulse(driver, "dup-1");
    const sent = emulator.received.find((r) => r.payload.includes('"dup-1"'));
    if (sent === undefined) throw new Error("command not seen");
    // The open carried an MQTT 5 expiry of at most mqtt.commandExpiry (2 s) through the broker.
    expect(sent.expiry).toBeGreaterThanOrEqual(1);
    expect(sent.expiry).toBeLessThanOrEqual(2);
    emulator.inject(sent.topic, sent.payload);
    await waitUntil(() => emulator.refused.length === 1, "the duplicate to be refused");
    expect(emulator.refused[0]).toEqual({ id: "dup-1", result: "duplicate" });
    const expired = { id: "old-1", ms: 1000, issuedAt: Date.now() - 5000, notAfter: Date.now() - 3000 };
    emulator.inject(sent.topic, JSON.stringify(expired));
    await waitUntil(() => emulator.refused.length === 2, "the expired command to be refused");
    expect(emulator.refused[1]).toEqual({ id: "old-1", result: "late" });
    expect(emulator.opens.map((o) => o.id)).toEqual(["dup-1"]);
  });

  it("drops and counts bad inbound payloads and keeps working", async () => {
    const { driver, device, connection } = await rig("generic");
    const emulator = device as GenericRelayEmulator;
    emulator.inject(`pgrelay/${(device as GenericRelayEmulator).device}/1/ack`, "{not json");
    emulator.inject(`pgrelay/${(device as GenericRelayEmulator).device}/1/ack`, JSON.stringify({ id: 5 }));
    emulator.inject(`pgrelay/${(device as GenericRelayEmulator).device}/status`, "maybe");
    await waitUntil(() => connection.dropCounts().size === 3, "three drops to be counted");
    expect(Object.fromEntries(connection.dropCounts())).toEqual({
      "relay-ack:not_json": 1,
      "relay-ack:invalid": 1,
      "relay-status:invalid": 1,
    });
    expect(driver.available()).toBe(true);
    await pulse(driver, "still-works");
  });
});
