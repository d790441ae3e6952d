import { describe, expect, it } from "vitest";
import { configSchema } from "./schema.js";

const base = { site: "north", gate: "main-1", timezone: "Europe/Moscow" };

describe("policy.antiPassback.partition", () => {
  it("is fail-open by default, with 15 s before a silent gate of the zone counts as cut off", () => {
    const { antiPassback } = configSchema.parse(base).policy;
    expect(antiPassback).toMatchObject({ partition: "open", partitionAfter: 15_000 });
  });

  it("takes fail-closed with a gate that shares site state over MQTT", () => {
    const config = configSchema.parse({
      ...base,
      mqtt: { url: "mqtt://127.0.0.1:1883" },
      policy: { antiPassback: { mode: "hard", partition: "closed", partitionAfter: "30s" } },
    });
    expect(config.policy.antiPassback).toMatchObject({ partition: "closed", partitionAfter: 30_000 });
  });

  it.each([
    ["without mqtt", {}],
    ["with siteShare off", { mqtt: { url: "mqtt://127.0.0.1:1883", siteShare: false } }],
  ])("refuses fail-closed %s: the gate could never hear its zone", (_name, mqtt) => {
    const result = configSchema.safeParse({
      ...base,
      ...mqtt,
      policy: { antiPassback: { mode: "hard", partition: "closed" } },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ["policy", "antiPassback", "partition"],
        message: expect.stringMatching(/needs mqtt with siteShare/),
      }),
    ]);
  });

  it.each(["2s", "11m"])("refuses partitionAfter %s (3 s to 10 min)", (partitionAfter) => {
    const result = configSchema.safeParse({ ...base, policy: { antiPassback: { partitionAfter } } });
    expect(result.error?.issues[0]?.path).toEqual(["policy", "antiPassback", "partitionAfter"]);
  });
});
