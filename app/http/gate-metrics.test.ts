import { describe, expect, it } from "vitest";
import { ClockSyncCache } from "./clock-sync-cache.js";
import { GateMetrics, type MetricSources } from "./gate-metrics.js";

function sources(overrides: Partial<MetricSources>): MetricSources {
  return {
    readers: () => ({}),
    relays: () => ({}),
    mqttConnected: () => true,
    allowlist: () => ({ version: 1, count: 1, syncedAt: 0 }),
    uploadBacklog: () => 0,
    gateMode: () => "normal",
    databaseCorrupt: () => false,
    bridges: () => [],
    now: () => 0,
    clockSynchronized: () => Promise.resolve(true),
    mqttDrops: () => new Map(),
    mqttRefused: () => new Map(),
    siteRecords: () => undefined,
    zoneHeard: () => undefined,
    ...overrides,
  };
}

/** The sample line of an unlabelled metric, or of one with exactly `labels`. */
function line(text: string, name: string, labels = ""): string | undefined {
  return text.split("\n").find((l) => l.startsWith(`${name}${labels === "" ? " " : `{${labels}} `}`));
}

describe("the gate's clock and MQTT drop metrics", () => {
  it("says 1, 0 or NaN for a synchronised, unsynchronised or unknown clock", async () => {
    const answers: (boolean | undefined)[] = [true, false, undefined];
    const seen: (string | undefined)[] = [];
    for (const answer of answers) {
      const metrics = new GateMetrics("test");
      metrics.observe(sources({ clockSynchronized: () => Promise.resolve(answer) }));
      seen.push(line(await metrics.scrape(), "passgate_clock_synchronized"));
    }
    // prom-client writes NaN as "Nan"; Prometheus parses it without regard to case.
    expect(seen.map((l) => l?.toLowerCase())).toEqual([
      "passgate_clock_synchronized 1",
      "passgate_clock_synchronized 0",
      "passgate_clock_synchronized nan",
    ]);
  });

  it("counts the session's dropped messages by kind and reason, as they stand at each scrape", async () => {
    const drops = new Map([
      ["request-mode:not_json", 2],
      ["relay-state:invalid", 5],
    ]);
    const metrics = new GateMetrics("test");
    metrics.observe(sources({ mqttDrops: () => drops }));
    let text = await metrics.scrape();
    expect(line(text, "passgate_mqtt_dropped_total", 'kind="request-mode",reason="not_json"')).toMatch(/ 2$/);
    expect(line(text, "passgate_mqtt_dropped_total", 'kind="relay-state",reason="invalid"')).toMatch(/ 5$/);
    drops.set("request-mode:not_json", 3);
    text = await metrics.scrape();
    expect(line(text, "passgate_mqtt_dropped_total", 'kind="request-mode",reason="not_json"')).toMatch(/ 3$/);
  });

  it("counts the publishes the broker refused, by topic", async () => {
    const metrics = new GateMetrics("test");
    metrics.observe(sources({ mqttRefused: () => new Map([["passgate/north/shared/main-1/alive", 4]]) }));
    const text = await metrics.scrape();
    expect(
      line(text, "passgate_mqtt_publish_refused_total", 'topic="passgate/north/shared/main-1/alive"'),
    ).toMatch(/ 4$/);
  });
});

describe("the gate's site-share metrics", () => {
  it("shows the records kept per kind as they stand, and none without site share", async () => {
    let kept: Record<string, number> | undefined = { replay: 3, passage: 1 };
    const metrics = new GateMetrics("test");
    metrics.observe(sources({ siteRecords: () => kept }));
    let text = await metrics.scrape();
    expect(line(text, "passgate_site_records", 'kind="replay"')).toBe(
      'passgate_site_records{kind="replay"} 3',
    );
    expect(line(text, "passgate_site_records", 'kind="passage"')).toBe(
      'passgate_site_records{kind="passage"} 1',
    );
    kept = undefined;
    text = await metrics.scrape();
    expect(line(text, "passgate_site_records", 'kind="replay"')).toBeUndefined();
  });

  it("says 1 or 0 for a fail-closed zone heard or not, NaN where nothing asks", async () => {
    const seen: (string | undefined)[] = [];
    for (const heard of [true, false, undefined]) {
      const metrics = new GateMetrics("test");
      metrics.observe(sources({ zoneHeard: () => heard }));
      seen.push(line(await metrics.scrape(), "passgate_zone_heard")?.toLowerCase());
    }
    expect(seen).toEqual(["passgate_zone_heard 1", "passgate_zone_heard 0", "passgate_zone_heard nan"]);
  });
});

describe("ClockSyncCache", () => {
  it("asks once a minute and never twice at once, and reads yes, no and anything else", async () => {
    let now = 0;
    const answers = ["yes", "no", "maybe"];
    let asked = 0;
    const probe = new ClockSyncCache(
      async () => answers[asked++],
      () => now,
    );
    const [a, b] = await Promise.all([probe.synchronized(), probe.synchronized()]);
    expect([a, b, asked]).toEqual([true, true, 1]);
    now = 59_999;
    expect(await probe.synchronized()).toBe(true);
    expect(asked).toBe(1);
    now = 60_000;
    expect(await probe.synchronized()).toBe(false);
    now = 120_000;
    expect(await probe.synchronized()).toBe(undefined);
    expect(asked).toBe(3);
  });

  it("takes a failed check as unknown", async () => {
    const probe = new ClockSyncCache(
      () => Promise.reject(new Error("spawn timedatectl ENOENT")),
      () => 0,
    );
    expect(await probe.synchronized()).toBe(undefined);
  });
});
