import { describe, expect, it } from "vitest";
import { configSchema } from "./schema.js";

const base = {
  site: "demo-campus",
  gate: "main-1",
  timezone: "Europe/Moscow",
  readers: [{ id: "in", direction: "in", source: { type: "stdin" } }],
};

function issues(input: Record<string, unknown>): string[] {
  const r = configSchema.safeParse({ ...base, ...input });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("mqtt and relay driver config", () => {
  it("fills the MQTT defaults (ms) and accepts each relay driver", () => {
    const c = configSchema.parse({
      ...base,
      mqtt: { url: "mqtt://127.0.0.1:1883" },
      relays: [
        { id: "a", reader: "in", driver: { type: "tasmota", topic: "turnstile-1" } },
        { id: "b", reader: "in", driver: { type: "shelly-gen1", id: "shelly1-98CDAC1F03A5" } },
        {
          id: "c",
          reader: "in",
          driver: { type: "shelly-gen2", id: "shellyplus1-a8032ab12345", channel: 1 },
        },
        { id: "d", reader: "in", driver: { type: "generic", device: "relay-7" } },
      ],
    });
    expect(c.mqtt).toMatchObject({
      topicPrefix: "passgate",
      commandExpiry: 2000,
      confirmTimeout: 3000,
      reconnectMin: 500,
      reconnectMax: 5000,
      keepalive: 10_000,
      passage: [],
      siteShare: true,
    });
    expect(c.relays.map((r) => r.driver)).toEqual([
      { type: "tasmota", topic: "turnstile-1", channel: 1 },
      { type: "shelly-gen1", id: "shelly1-98CDAC1F03A5", channel: 0 },
      { type: "shelly-gen2", id: "shellyplus1-a8032ab12345", channel: 1 },
      { type: "generic", device: "relay-7", channel: 1 },
    ]);
  });

  it("refuses an MQTT relay without mqtt:, a sensor at an unknown reader, and wildcard topics", () => {
    expect(issues({ relays: [{ id: "a", reader: "in", driver: { type: "tasmota", topic: "t1" } }] })).toEqual(
      ["relays.0.driver.type: a tasmota relay needs the broker configured under `mqtt:`"],
    );
    expect(
      issues({ mqtt: { url: "mqtt://b", passage: [{ reader: "out", topic: "stat/t1/SWITCH1" }] } }),
    ).toEqual(['mqtt.passage.0.reader: unknown reader "out": expected the id of one of the readers']);
    expect(issues({ mqtt: { url: "mqtt://b", fireAlarm: { topic: "fire/#" } } })).toHaveLength(1);
    expect(
      issues({
        mqtt: { url: "mqtt://b" },
        relays: [{ id: "a", reader: "in", driver: { type: "tasmota", topic: "cmnd/+" } }],
      }),
    ).toHaveLength(1);
  });
});
