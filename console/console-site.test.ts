import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TestMosquitto } from "../daemon/mqtt/testing/mosquitto.js";
import type { AlarmView, LaneDecision, SiteSnapshot } from "./api.js";
import { openEventStream } from "./testing/event-stream-client.js";
import { GUARD, login, post, startTestConsole, type TestConsole } from "./testing/test-console.js";

let broker: TestMosquitto;
let gate: MqttClient;
let desk: TestConsole | undefined;

beforeAll(async () => {
  broker = await TestMosquitto.start();
  gate = await connectAsync(broker.url, { protocolVersion: 5 });
});
afterAll(async () => {
  await gate.endAsync();
  await broker.close();
});
afterEach(async () => {
  await desk?.close();
  desk = undefined;
  // Retained messages of one test must not leak into the next.
  for (const g of ["main-1", "side-2"])
    for (const kind of ["status", "state"])
      await gate.publishAsync(`passgate/campus/${g}/${kind}`, "", { retain: true });
});

const topic = (g: string, kind: string) => `passgate/campus/${g}/${kind}`;

function decision(overrides: Record<string, unknown> = {}) {
  return {
    type: "decision",
    id: `d-${Math.random().toString(36).slice(2)}`,
    seq: 1,
    at: Date.now(),
    gate: "main-1",
    reader: "in",
    direction: "in",
    credential: "42",
    person: "p-0042",
    result: "granted",
    reason: "ok",
    flags: [],
    ...overrides,
  };
}

function state(overrides: Record<string, unknown> = {}) {
  return {
    gate: "main-1",
    mode: "normal",
    modeSince: 1,
    modeSource: "config",
    relays: { turnstile: true },
    readers: [{ id: "in", direction: "in", connected: true }],
    allowlist: { version: 17, syncedAt: Date.now() - 60_000 },
    at: Date.now(),
    ...overrides,
  };
}

async function site(url: string, cookie: string): Promise<SiteSnapshot> {
  return (await (await fetch(`${url}/api/site`, { headers: { cookie } })).json()) as SiteSnapshot;
}

describe("the console's site model on a real broker", () => {
  it("brings a published decision to a live page with its display name, as data, and into the snapshot", async () => {
    desk = await startTestConsole({ mqttUrl: broker.url });
    const session = await login(desk.url, GUARD);
    const stream = await openEventStream(`${desk.url}/api/events`, session.cookie);
    expect(stream.status).toBe(200);
    await stream.next((e) => e.event === "snapshot");
    const name = `<img src=x onerror="alert(1)">Иванова </script>`;
    const published = decision({ name });
    await gate.publishAsync(topic("main-1", "event"), JSON.stringify(published));
    const live = await stream.next(
      (e) => e.event === "live" && (e.data as { type: string }).type === "decision",
    );
    const got = (live.data as { decision: LaneDecision }).decision;
    expect(got).toMatchObject({
      id: published.id,
      gate: "main-1",
      reader: "in",
      result: "granted",
      reason: "ok",
      person: "p-0042",
    });
    expect(got.name).toBe(name); // the exact text: the page puts it in with textContent
    stream.close();
    const snapshot = await site(desk.url, session.cookie);
    expect(snapshot.decisions.map((d) => d.id)).toContain(published.id);
    // A new page's first event is the snapshot with it.
    const again = await openEventStream(`${desk.url}/api/events`, session.cookie);
    const first = await again.next((e) => e.event === "snapshot");
    expect((first.data as SiteSnapshot).decisions.find((d) => d.id === published.id)?.name).toBe(name);
    again.close();
  });

  it("links a passage to its grant: a turned-back grant shows not_passed", async () => {
    desk = await startTestConsole({ mqttUrl: broker.url });
    const session = await login(desk.url, GUARD);
    const stream = await openEventStream(`${desk.url}/api/events`, session.cookie);
    const grant = decision();
    await gate.publishAsync(topic("main-1", "event"), JSON.stringify(grant));
    await stream.next((e) => (e.data as { decision?: LaneDecision }).decision?.id === grant.id);
    const passage = {
      type: "passage",
      at: Date.now(),
      gate: "main-1",
      reader: "in",
      direction: "in",
      result: "not_passed",
      decisionId: grant.id,
      person: "p-0042",
    };
    await gate.publishAsync(topic("main-1", "event"), JSON.stringify(passage));
    const updated = await stream.next(
      (e) => (e.data as { decision?: LaneDecision }).decision?.passage === "not_passed",
    );
    expect((updated.data as { decision: LaneDecision }).decision.id).toBe(grant.id);
    stream.close();
  });

  it("drops and counts malformed gate payloads and keeps serving", async () => {
    desk = await startTestConsole({ mqttUrl: broker.url });
    const session = await login(desk.url, GUARD);
    await gate.publishAsync(topic("main-1", "state"), "{not json");
    await gate.publishAsync(topic("main-1", "state"), JSON.stringify({ ...state(), mode: "party" }));
    await gate.publishAsync(topic("main-1", "state"), JSON.stringify(state({ gate: "side-2" }))); // another gate's state on main-1's topic
    await gate.publishAsync(topic("main-1", "event"), JSON.stringify(decision({ result: "maybe" })));
    await gate.publishAsync(topic("main-1", "event"), JSON.stringify(decision({ name: "x".repeat(500) })));
    await gate.publishAsync(topic("main-1", "status"), "sleeping");
    await gate.publishAsync(topic("main-1", "event"), Buffer.alloc(5000, 0x61));
    // A newer gate's extra field is set aside, not a reason to drop its state.
    await gate.publishAsync(topic("main-1", "state"), JSON.stringify({ ...state(), firmware: "9.9" }));
    const counters = desk.running.counters;
    await expect
      .poll(() => site(desk?.url ?? "", session.cookie).then((s) => s.gates.length), { timeout: 5_000 })
      .toBe(1);
    expect(counters.get("mqtt_dropped:state:not_json")).toBe(1);
    expect(counters.get("mqtt_dropped:state:invalid")).toBe(2);
    expect(counters.get("mqtt_dropped:event:invalid")).toBe(2);
    expect(counters.get("mqtt_dropped:status:invalid")).toBe(1);
    // The console's session advertises MQTT 5's maximum packet size: the broker drops the
    // 5000-byte payload before sending it, so it never reaches the console at all.
    expect(counters.get("mqtt_dropped:event:too_large")).toBe(0);
    const snapshot = await site(desk.url, session.cookie);
    expect(snapshot.gates[0]).toMatchObject({
      gate: "main-1",
      mode: "normal",
      relays: { turnstile: true },
      allowlist: { version: 17 },
    });
    expect(snapshot.decisions).toEqual([]);
  });

  it("keeps an alarm until a user acknowledges it, with who and when, across a restart", async () => {
    desk = await startTestConsole({ mqttUrl: broker.url });
    let session = await login(desk.url, GUARD);
    const stream = await openEventStream(`${desk.url}/api/events`, session.cookie);
    await gate.publishAsync(topic("main-1", "state"), JSON.stringify(state()));
    await stream.next(
      (e) => (e.data as { gate?: { relays?: Record<string, boolean> } }).gate?.relays?.turnstile === true,
    );
    stream.close();
    // The relay was reachable, and is not: a relay offline alarm.
    await gate.publishAsync(
      topic("main-1", "state"),
      JSON.stringify(state({ relays: { turnstile: false } })),
    );
    await gate.publishAsync(
      topic("main-1", "event"),
      JSON.stringify({
        type: "alarm",
        at: Date.now(),
        gate: "main-1",
        reader: "in",
        direction: "in",
        result: "forced_passage",
      }),
    );
    const alarmsOf = async (d: TestConsole, cookie: string) => (await site(d.url, cookie)).alarms;
    await expect
      .poll(async () => (await alarmsOf(desk as TestConsole, session.cookie)).length, { timeout: 5_000 })
      .toBe(2);
    const alarms = await alarmsOf(desk, session.cookie);
    expect(alarms.map((a) => [a.kind, a.subject])).toEqual(
      expect.arrayContaining([
        ["relay_offline", "turnstile"],
        ["forced_passage", "in"],
      ]),
    );
    // The same condition again raises nothing new while its alarm stands.
    await gate.publishAsync(
      topic("main-1", "state"),
      JSON.stringify(state({ relays: { turnstile: false } })),
    );
    const forced = alarms.find((a) => a.kind === "forced_passage") as AlarmView;
    const ack = await post(`${desk.url}/api/alarms/${forced.id}/ack`, session);
    expect(ack.status).toBe(200);
    expect((await post(`${desk.url}/api/alarms/${forced.id}/ack`, session)).status).toBe(404);

    desk = await desk.restart();
    session = await login(desk.url, GUARD);
    const after = await alarmsOf(desk, session.cookie);
    const relay = after.find((a) => a.kind === "relay_offline");
    expect(relay?.acknowledged).toBeUndefined();
    const acked = after.find((a) => a.id === forced.id);
    expect(acked?.acknowledged?.by).toBe(GUARD.name);
    expect(acked?.acknowledged?.at).toBeGreaterThan(0);
    // Unacknowledged first.
    expect(after[0]?.acknowledged).toBeUndefined();
  });

  it("takes a relay a gate just started reports unreachable as an alarm only once it stays so", async () => {
    desk = await startTestConsole({ mqttUrl: broker.url, deps: { relayDownGraceMs: 1_000 } });
    const session = await login(desk.url, GUARD);
    const now = () => site((desk as TestConsole).url, session.cookie);
    const down = () =>
      gate.publishAsync(topic("main-1", "state"), JSON.stringify(state({ relays: { turnstile: false } })));
    await down();
    await expect.poll(async () => (await now()).gates[0]?.relays.turnstile, { timeout: 5_000 }).toBe(false);
    // Its board's status has not come yet: no alarm.
    expect((await now()).alarms).toEqual([]);
    const since = Date.now();
    // Still down after the grace: an alarm, without a new message from the gate.
    await expect
      .poll(async () => (await now()).alarms.map((a) => [a.kind, a.subject]), { timeout: 10_000 })
      .toEqual([["relay_offline", "turnstile"]]);
    expect(Date.now() - since).toBeGreaterThanOrEqual(500);
  });

  it("raises gate_offline when a gate's status turns offline", async () => {
    desk = await startTestConsole({ mqttUrl: broker.url });
    const session = await login(desk.url, GUARD);
    const stream = await openEventStream(`${desk.url}/api/events`, session.cookie);
    await gate.publishAsync(topic("main-1", "status"), "online", { retain: true });
    await stream.next((e) => (e.data as { gate?: { online: boolean } }).gate?.online === true);
    await gate.publishAsync(topic("main-1", "status"), "offline", { retain: true });
    const alarm = await stream.next((e) => (e.data as { alarm?: AlarmView }).alarm?.kind === "gate_offline");
    expect((alarm.data as { alarm: AlarmView }).alarm.gate).toBe("main-1");
    stream.close();
  });

  it("finds today's decisions by person, credential or part of the name, case folded in Cyrillic too", async () => {
    desk = await startTestConsole({ mqttUrl: broker.url });
    const session = await login(desk.url, GUARD);
    const a = decision({ person: "p-7", credential: "700", name: "Ольга Смирнова" });
    const b = decision({
      person: "p-8",
      credential: "800",
      name: "Oleg 100%_x",
      reader: "out",
      direction: "out",
    });
    for (const d of [a, b]) await gate.publishAsync(topic("main-1", "event"), JSON.stringify(d));
    const search = async (q: string) => {
      const r = await fetch(`${desk?.url}/api/search?q=${encodeURIComponent(q)}`, {
        headers: { cookie: session.cookie },
      });
      return ((await r.json()) as { decisions: LaneDecision[] }).decisions.map((d) => d.id);
    };
    await expect.poll(() => search("p-7"), { timeout: 5_000 }).toEqual([a.id]);
    expect(await search("800")).toEqual([b.id]);
    expect(await search("смирн")).toEqual([a.id]);
    expect(await search("%")).toEqual([b.id]); // a literal percent sign, not a wildcard
    expect(await search("nobody")).toEqual([]);
    const bad = await fetch(`${desk.url}/api/search?q=${"x".repeat(65)}`, {
      headers: { cookie: session.cookie },
    });
    expect(bad.status).toBe(400);
  });
});

describe("the console with Home Assistant discovery on", () => {
  it("publishes each gate's entities for Home Assistant as the gate's state arrives", async () => {
    const watcher = await connectAsync(broker.url, { protocolVersion: 5 });
    const configs = new Map<string, Record<string, unknown>>();
    watcher.on("message", (t, payload) => {
      if (payload.length > 0) configs.set(t, JSON.parse(payload.toString()) as Record<string, unknown>);
    });
    await watcher.subscribeAsync("homeassistant/#");
    try {
      desk = await startTestConsole({
        mqttUrl: broker.url,
        overrides: { homeAssistant: { roles: ["guard"] } },
      });
      await gate.publishAsync(topic("main-1", "status"), "online", { retain: true });
      await gate.publishAsync(topic("main-1", "state"), JSON.stringify(state()), { retain: true });
      const deadline = Date.now() + 5_000;
      const button = () => [...configs.keys()].find((t) => t.startsWith("homeassistant/button/"));
      while (button() === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(button()).toBeDefined();
      // A guard's key opens lanes; it is offered no mode select.
      expect([...configs.keys()].some((t) => t.startsWith("homeassistant/select/"))).toBe(false);
      const online = [...configs.entries()].find(([t]) => t.startsWith("homeassistant/binary_sensor/"));
      expect(online?.[1]).toMatchObject({ state_topic: topic("main-1", "status"), payload_on: "online" });
    } finally {
      await watcher.endAsync();
    }
  });
});
