import { describe, expect, it } from "vitest";
import { discoveryConfigs } from "./discovery-configs.js";
import { parseHaCommandTopic } from "./ha-command-topics.js";

const gate = (may: { changeMode: boolean; open: boolean }, relays = ["arm", "side.door"]) => ({
  prefix: "passgate",
  site: "north.campus",
  gate: "main-1",
  relays,
  may,
});
const context = { discoveryPrefix: "homeassistant" };

/** The entity kinds and object ids of a gate's configs, from their topics. */
const entities = (may: { changeMode: boolean; open: boolean }) =>
  discoveryConfigs(gate(may), context).map((c) =>
    c.topic
      .split("/")
      .filter((_, i) => i === 1 || i === 3)
      .join(":"),
  );

describe("discoveryConfigs", () => {
  it("gives the select only where the operator may change modes, and the buttons only where it may open", () => {
    const always = ["binary_sensor:online", "sensor:last_decision", "event:forced_passage"];
    expect(entities({ changeMode: false, open: false })).toEqual(always);
    expect(entities({ changeMode: false, open: true })).toEqual([
      ...always,
      "button:open_arm",
      "button:open_side_door",
    ]);
    expect(entities({ changeMode: true, open: true })).toEqual([
      ...always,
      "select:mode",
      "button:open_arm",
      "button:open_side_door",
    ]);
  });

  it("names ids as Home Assistant allows, keeps unique_id unique and points commands at the console's topics", () => {
    const configs = discoveryConfigs(gate({ changeMode: true, open: true }), context);
    for (const c of configs)
      expect(c.topic).toMatch(/^homeassistant\/[a-z_]+\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+\/config$/);
    const parsed = configs.map((c) => JSON.parse(c.payload) as Record<string, unknown>);
    expect(new Set(parsed.map((p) => p.unique_id)).size).toBe(configs.length);
    const button = parsed.find((p) => p.unique_id === "passgate_north_campus_main-1_open_side_door");
    expect(button).toMatchObject({
      command_topic: "passgate/north.campus/console/ha/main-1/open/side.door/press",
      availability_topic: "passgate/north.campus/main-1/status",
    });
    // The relay id in the command topic is the gate's own, which the console reads back.
    expect(parseHaCommandTopic("passgate", "north.campus", String(button?.command_topic))).toEqual({
      kind: "open",
      gate: "main-1",
      relay: "side.door",
    });
  });

  it("keeps person and credential ids out of the last decision's attributes", () => {
    const sensor = discoveryConfigs(gate({ changeMode: false, open: false }), context)
      .map((c) => JSON.parse(c.payload) as Record<string, unknown>)
      .find((p) => p.state_topic === "passgate/north.campus/main-1/event" && "json_attributes_template" in p);
    const template = String(sensor?.json_attributes_template);
    expect(template).toContain("value_json.reason");
    expect(template).not.toMatch(/person|credential/);
  });
});

describe("parseHaCommandTopic", () => {
  it("reads the mode and open topics of the console and nothing else", () => {
    const read = (t: string) => parseHaCommandTopic("passgate", "s", t);
    expect(read("passgate/s/console/ha/g1/mode/set")).toEqual({ kind: "mode", gate: "g1" });
    expect(read("passgate/s/console/ha/g1/open/arm/press")).toEqual({
      kind: "open",
      gate: "g1",
      relay: "arm",
    });
    for (const t of [
      "passgate/s/console/ha/g1/mode/get",
      "passgate/s/console/ha/g$1/mode/set",
      "passgate/s/console/ha/g1/open/a b/press",
      "passgate/s/console/ha/g1/open/arm/press/extra",
      "passgate/other/console/ha/g1/mode/set",
      `passgate/s/console/ha/${"g".repeat(65)}/mode/set`,
    ])
      expect(read(t), t).toBeUndefined();
  });
});
