import { describe, expect, it } from "vitest";
import { type ConfigInput, configSchema } from "../../config/schema.js";
import { diffConfig } from "./diff-config.js";

const base: ConfigInput = {
  site: "campus",
  gate: "main-1",
  timezone: "Europe/Moscow",
  storage: { path: "/var/lib/passgate/gate.db" },
  mqtt: { url: "mqtt://127.0.0.1:1883" },
  registry: {
    url: "https://registry.example",
    trustedKeys: { k: "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw" },
  },
  http: { listen: "127.0.0.1:9464" },
  readers: [
    { id: "in", direction: "in", source: { type: "stdin" } },
    { id: "out", direction: "out", source: { type: "serial", path: "/dev/ttyACM0" } },
  ],
  relays: [{ id: "arm", reader: "in", driver: { type: "tasmota", topic: "ts" } }],
  policy: { rules: [{ name: "staff", roles: ["staff"] }] },
};

type Change = (c: ConfigInput) => ConfigInput;
const cases: {
  what: string;
  change: Change;
  live: string[];
  restartOnly?: string[];
  flags?: Partial<Record<"gateSettings" | "logLevel" | "sync" | "actuation", boolean>>;
  readers?: { added?: string[]; removed?: string[]; changed?: string[] };
}[] = [
  { what: "nothing", change: (c) => c, live: [] },
  {
    what: "a rule added",
    change: (c) => ({
      ...c,
      policy: {
        rules: [
          { name: "staff", roles: ["staff"] },
          { name: "s", roles: ["student"] },
        ],
      },
    }),
    live: ["policy"],
    flags: { gateSettings: true },
  },
  {
    what: "holidays and lockout",
    change: (c) => ({ ...c, policy: { ...c.policy, holidays: ["2026-12-31"], lockout: { attempts: 3 } } }),
    live: ["policy"],
    flags: { gateSettings: true },
  },
  {
    what: "the time zone",
    change: (c) => ({ ...c, timezone: "UTC" }),
    live: ["timezone"],
    flags: { gateSettings: true },
  },
  {
    what: "the token window",
    change: (c) => ({ ...c, token: { window: 2 } }),
    live: ["token.window"],
    flags: { gateSettings: true },
  },
  {
    what: "a staleness budget",
    change: (c) => ({ ...c, sync: { staleness: { student: "2d" } } }),
    live: ["sync.staleness"],
    flags: { gateSettings: true, sync: false },
  },
  {
    what: "the log level",
    change: (c) => ({ ...c, log: { level: "debug" } }),
    live: ["log.level"],
    flags: { logLevel: true },
  },
  {
    what: "the poll interval",
    change: (c) => ({
      ...c,
      registry: { ...c.registry, url: "https://registry.example", trustedKeys: {}, pollInterval: "10s" },
    }),
    live: ["registry"],
    flags: { sync: true, gateSettings: false },
  },
  {
    what: "the upload batch",
    change: (c) => ({ ...c, sync: { uploadBatch: 10 } }),
    live: ["sync"],
    flags: { sync: true },
  },
  {
    what: "a reader added",
    change: (c) => ({
      ...c,
      readers: [
        ...(c.readers ?? []),
        { id: "side", direction: "in", source: { type: "serial", path: "/dev/ttyACM1" } },
      ],
    }),
    live: ["readers.side (added)"],
    readers: { added: ["side"] },
  },
  {
    what: "a reader removed",
    change: (c) => ({ ...c, readers: (c.readers ?? []).filter((r) => r.id !== "out") }),
    live: ["readers.out (removed)"],
    readers: { removed: ["out"] },
  },
  {
    what: "a reader's direction",
    change: (c) => ({
      ...c,
      readers: (c.readers ?? []).map((r) => (r.id === "out" ? { ...r, direction: "in" as const } : r)),
    }),
    live: ["readers.out (changed)"],
    readers: { changed: ["out"] },
  },
  {
    what: "a relay's pulse",
    change: (c) => ({
      ...c,
      relays: [{ id: "arm", reader: "in", driver: { type: "tasmota", topic: "ts" }, pulse: "2s" }],
    }),
    live: ["relays"],
    flags: { actuation: true },
  },
  {
    what: "the confirmation timeout",
    change: (c) => ({ ...c, mqtt: { url: "mqtt://127.0.0.1:1883", confirmTimeout: "5s" } }),
    live: ["mqtt"],
    flags: { actuation: true },
  },
  {
    what: "the broker URL",
    change: (c) => ({ ...c, mqtt: { url: "mqtt://192.0.2.1:1883" } }),
    live: [],
    restartOnly: ["mqtt.url"],
    flags: { actuation: false },
  },
  {
    what: "the broker credentials and the timeout",
    change: (c) => ({ ...c, mqtt: { url: "mqtt://127.0.0.1:1883", username: "gate", confirmTimeout: "5s" } }),
    live: ["mqtt"],
    restartOnly: ["mqtt.username"],
    flags: { actuation: true },
  },
  {
    what: "mqtt removed",
    change: ({ mqtt: _m, ...c }) => ({ ...c, relays: [], readers: c.readers }),
    live: ["relays"],
    restartOnly: ["mqtt"],
  },
  { what: "the site", change: (c) => ({ ...c, site: "other" }), live: [], restartOnly: ["site"] },
  { what: "the gate id", change: (c) => ({ ...c, gate: "main-2" }), live: [], restartOnly: ["gate"] },
  {
    what: "the database",
    change: (c) => ({ ...c, storage: { path: "/tmp/x.db" } }),
    live: [],
    restartOnly: ["storage"],
  },
  {
    what: "the listen address",
    change: (c) => ({ ...c, http: { listen: "127.0.0.1:9000" } }),
    live: [],
    restartOnly: ["http"],
  },
];

describe("diffConfig", () => {
  const current = configSchema.parse(base);
  it.each(cases)("$what", ({ change, live, restartOnly = [], flags = {}, readers = {} }) => {
    const next = configSchema.parse(change(structuredClone(base)));
    const diff = diffConfig(current, next);
    expect(diff.live).toEqual(live);
    expect(diff.restartOnly).toEqual(restartOnly);
    for (const [flag, value] of Object.entries(flags))
      expect(diff[flag as keyof typeof flags], flag).toBe(value);
    expect(diff.readers).toEqual({ added: [], removed: [], changed: [], ...readers });
    // Restart-only fields keep their running values; everything else is the new config.
    expect(diff.effective.site).toBe(current.site);
    expect(diff.effective.gate).toBe(current.gate);
    expect(diff.effective.storage).toEqual(current.storage);
    expect(diff.effective.http).toEqual(current.http);
    expect(diff.effective.mqtt?.url).toBe(current.mqtt?.url);
    expect(diff.effective.mqtt?.username).toBe(current.mqtt?.username);
    expect(diff.effective.policy).toEqual(next.policy);
    expect(diff.effective.readers).toEqual(next.readers);
    // Applying the effective config again changes nothing.
    expect(diffConfig(diff.effective, diff.effective).live).toEqual([]);
  });
});
