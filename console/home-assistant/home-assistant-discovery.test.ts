import { generateKeyPairSync, type KeyObject, verify } from "node:crypto";
import { Writable } from "node:stream";
import { connect } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import {
  exampleGate,
  runGate,
  SITE,
  trustMembers,
  watchTopics,
} from "../../app/testing/mqtt-gate-fixture.js";
import { MqttConnection } from "../../daemon/mqtt/mqtt-connection.js";
import { TestMosquitto, waitUntil } from "../../daemon/mqtt/testing/mosquitto.js";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import type { OperatorRole, RosterMember } from "../../daemon/trust/roster-member.js";
import { type SignedMessage, signingInput } from "../../daemon/trust/signed-message.js";
import { type Clock, systemClock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import { FakeClock } from "../../platform/testing/fake-clock.js";
import { HomeAssistantDiscovery } from "./home-assistant-discovery.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Operator {
  readonly member: RosterMember;
  readonly signer: { readonly id: string; readonly privateKey: KeyObject };
  readonly publicKey: KeyObject;
}

function operator(name: string, roles: OperatorRole[]): Operator {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const id = `operator:${name}`;
  return {
    member: { id, kind: "operator", publicKey: publicKeyText(publicKey), roles, status: "active" },
    signer: { id, privateKey },
    publicKey,
  };
}

/** A running gate with one relay `arm` on a real broker, whose roster lists `operators`. */
async function siteWithGate(gate: string, operators: readonly Operator[]) {
  const broker = await TestMosquitto.start();
  cleanups.push(() => broker.close());
  const { config } = await exampleGate({
    gate,
    mqtt: { url: broker.url },
    relays: [{ id: "arm", reader: "in", driver: { type: "log" } }],
  });
  trustMembers(
    config,
    operators.map((o) => o.member),
  );
  const running = await runGate(config);
  cleanups.push(running.stop);
  return { broker, base: `passgate/${SITE}/${gate}` };
}

/** The component on a session of its own, logging into `lines`. */
async function startDiscovery(
  url: string,
  op: Operator,
  options: { discoveryPrefix?: string; clock?: Clock; gates?: string[] } = {},
): Promise<{ ha: HomeAssistantDiscovery; lines: string[] }> {
  const lines: string[] = [];
  const logger = createLogger({
    level: "info",
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  const connection = new MqttConnection(connect(url, { protocolVersion: 5 }), {
    backoff: { minMs: 200, maxMs: 1000 },
    logger,
  });
  await connection.start();
  cleanups.push(() => connection.stop());
  const ha = new HomeAssistantDiscovery({
    connection,
    prefix: "passgate",
    site: SITE,
    operator: op.signer,
    roles: op.member.roles ?? [],
    clock: options.clock ?? systemClock,
    logger,
    ...(options.discoveryPrefix === undefined ? {} : { discoveryPrefix: options.discoveryPrefix }),
    ...(options.gates === undefined ? {} : { gates: options.gates }),
  });
  await ha.start();
  return { ha, lines };
}

/** HA's side: publishes plain payloads like its select and buttons. */
async function homeAssistant(url: string) {
  const client = connect(url, { protocolVersion: 5 });
  await new Promise<void>((resolve) => client.once("connect", () => resolve()));
  cleanups.push(() => client.endAsync());
  return (topic: string, payload: string) => client.publishAsync(topic, payload, { qos: 1 });
}

/** Whether `message` is signed by `key` for `topic`. */
function signedBy(topic: string, message: SignedMessage, key: KeyObject): boolean {
  const { sig, ...unsigned } = message;
  return verify(null, signingInput(topic, unsigned), key, Buffer.from(sig, "base64url"));
}

/** Retained messages under `filter` a client that subscribes now receives, non-empty only. */
async function retained(url: string, filter: string): Promise<Map<string, string>> {
  const watch = await watchTopics(url, filter);
  // The broker sends the retained messages right after the SUBACK, before anything published later.
  await watch.client.subscribeAsync("probe/done");
  await watch.client.publishAsync("probe/done", "x", { qos: 1 });
  await waitUntil(() => watch.messages.some((m) => m.topic === "probe/done"), "the probe");
  await watch.client.endAsync();
  return new Map(
    watch.messages.filter((m) => m.topic !== "probe/done" && m.text !== "").map((m) => [m.topic, m.text]),
  );
}

/** The retained messages under `filter` once `done` holds of them (the broker takes them in turn); at most 5 s. */
async function retainedUntil(
  url: string,
  filter: string,
  done: (found: Map<string, string>) => boolean,
): Promise<Map<string, string>> {
  let found = new Map<string, string>();
  for (let i = 0; i < 50; i++) {
    found = await retained(url, filter);
    if (done(found)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return found;
}

/** The retained messages under `filter` once there are at least `count`. */
function retainedCount(url: string, filter: string, count: number): Promise<Map<string, string>> {
  return retainedUntil(url, filter, (found) => found.size >= count);
}

describe("Home Assistant discovery of a site's gates", () => {
  it("publishes retained configs for each gate, a device with unique entities on the gate's topics; retracts them on request", async () => {
    const admin = operator("desk", ["admin"]);
    const { broker, base } = await siteWithGate("ha-1", [admin]);
    const { ha } = await startDiscovery(broker.url, admin);
    const node = `passgate_${SITE.replace(/[^A-Za-z0-9_-]/g, "_")}_ha-1`;
    const expected = [
      `homeassistant/binary_sensor/${node}/online/config`,
      `homeassistant/sensor/${node}/last_decision/config`,
      `homeassistant/event/${node}/forced_passage/config`,
      `homeassistant/select/${node}/mode/config`,
      `homeassistant/button/${node}/open_arm/config`,
    ];
    const configs = await retainedCount(broker.url, "homeassistant/#", expected.length);
    expect([...configs.keys()].sort()).toEqual([...expected].sort());
    const parsed = [...configs.values()].map((text) => JSON.parse(text) as Record<string, unknown>);
    expect(new Set(parsed.map((c) => c.unique_id)).size).toBe(expected.length);
    for (const c of parsed) {
      expect(c.device).toMatchObject({ identifiers: [node], name: "Gate ha-1", manufacturer: "passgate" });
      expect(typeof c.name).toBe("string");
    }
    const byTopic = (t: string) => JSON.parse(configs.get(t) ?? "{}") as Record<string, unknown>;
    expect(byTopic(expected[0] ?? "")).toMatchObject({
      state_topic: `${base}/status`,
      payload_on: "online",
      payload_off: "offline",
      device_class: "connectivity",
    });
    for (const t of expected.slice(1))
      expect(byTopic(t)).toMatchObject({ availability_topic: `${base}/status`, payload_available: "online" });
    expect(byTopic(expected[3] ?? "")).toMatchObject({
      state_topic: `${base}/state`,
      command_topic: `passgate/${SITE}/console/ha/ha-1/mode/set`,
      options: ["normal", "lockdown", "free"],
    });
    expect(byTopic(expected[4] ?? "")).toMatchObject({
      command_topic: `passgate/${SITE}/console/ha/ha-1/open/arm/press`,
      payload_press: "PRESS",
    });
    expect(ha.discoveredGates()).toEqual(["ha-1"]);

    await ha.stop({ retract: true });
    expect(await retained(broker.url, "homeassistant/#")).toEqual(new Map());
  });

  it("changes the gate's mode through a request signed with the operator key when HA's select is set", async () => {
    const admin = operator("desk", ["admin"]);
    const { broker, base } = await siteWithGate("ha-2", [admin]);
    const { ha, lines } = await startDiscovery(broker.url, admin);
    await waitUntil(() => ha.discoveredGates().includes("ha-2"), "the gate discovered");
    const wire = await watchTopics(broker.url, `${base}/#`);
    cleanups.push(() => wire.client.endAsync());
    const publish = await homeAssistant(broker.url);

    await publish(`passgate/${SITE}/console/ha/ha-2/mode/set`, "lockdown");
    await waitUntil(
      () => wire.json(`${base}/state`).some((s) => s.mode === "lockdown"),
      "the gate in lockdown",
    );

    const [request] = wire.json(`${base}/request/mode`) as unknown as SignedMessage[];
    expect(request).toMatchObject({
      signer: "operator:desk",
      body: { mode: "lockdown", user: "home-assistant", transaction: expect.stringMatching(/^ha-/) },
    });
    expect(request !== undefined && signedBy(`${base}/request/mode`, request, admin.publicKey)).toBe(true);
    await waitUntil(() => wire.json(`${base}/response/mode`).length > 0, "the gate's answer");
    expect(wire.json(`${base}/response/mode`)[0]).toMatchObject({
      status: "ok",
      data: { mode: "lockdown", changed: true },
      transaction: request?.body.transaction,
    });
    expect(
      lines.some((l) => l.includes("home assistant request sent") && l.includes('"mode":"lockdown"')),
    ).toBe(true);
  });

  it("gives a guard-only key no mode select, and refuses a mode set on its behalf", async () => {
    const guard = operator("guard-post", ["guard"]);
    const { broker, base } = await siteWithGate("ha-3", [guard]);
    const { ha } = await startDiscovery(broker.url, guard, { discoveryPrefix: "ha-guard" });
    const configs = await retainedCount(broker.url, "ha-guard/#", 4);
    const components = [...configs.keys()].map((t) => t.split("/")[1]).sort();
    expect(components).toEqual(["binary_sensor", "button", "event", "sensor"]);

    const wire = await watchTopics(broker.url, `${base}/request/#`);
    cleanups.push(() => wire.client.endAsync());
    const publish = await homeAssistant(broker.url);
    await publish(`passgate/${SITE}/console/ha/ha-3/mode/set`, "free");
    await waitUntil(() => ha.refusals().get("ha-mode:not_allowed") === 1, "the refusal");
    // An open still goes out: a guard may open once.
    await publish(`passgate/${SITE}/console/ha/ha-3/open/arm/press`, "PRESS");
    await waitUntil(() => wire.messages.length > 0, "the open request");
    expect(wire.messages.map((m) => m.topic)).toEqual([`${base}/request/open`]);
  });

  it("offers no commands for a gate outside the operator's roster gates, and sends none", async () => {
    const admin = operator("desk", ["admin"]);
    const { broker, base } = await siteWithGate("ha-6", [admin]);
    const { ha } = await startDiscovery(broker.url, admin, { gates: ["main-9"] });
    const configs = await retainedCount(broker.url, "homeassistant/#", 3);
    expect([...configs.keys()].map((t) => t.split("/")[1]).sort()).toEqual([
      "binary_sensor",
      "event",
      "sensor",
    ]);
    const wire = await watchTopics(broker.url, `${base}/request/#`);
    cleanups.push(() => wire.client.endAsync());
    const publish = await homeAssistant(broker.url);
    await publish(`passgate/${SITE}/console/ha/ha-6/mode/set`, "free");
    await publish(`passgate/${SITE}/console/ha/ha-6/open/arm/press`, "PRESS");
    await waitUntil(() => ha.refusals().get("ha-open:not_allowed") === 1, "the open refused");
    expect(ha.refusals().get("ha-mode:not_allowed")).toBe(1);
    expect(wire.messages).toEqual([]);
  });

  it("refuses and counts invalid commands, sends nothing for them, and never logs their payload", async () => {
    const admin = operator("desk", ["admin"]);
    const { broker, base } = await siteWithGate("ha-4", [admin]);
    const { ha, lines } = await startDiscovery(broker.url, admin);
    await waitUntil(() => ha.discoveredGates().includes("ha-4"), "the gate discovered");
    const wire = await watchTopics(broker.url, `passgate/${SITE}/+/request/#`);
    cleanups.push(() => wire.client.endAsync());
    const publish = await homeAssistant(broker.url);
    const ha4 = `passgate/${SITE}/console/ha/ha-4`;
    await publish(`${ha4}/mode/set`, "LOCKDOWN-SECRET-TEXT");
    await publish(`${ha4}/mode/set`, '{"mode":"free"}');
    await publish(`${ha4}/mode/set`, "free".repeat(40));
    await publish(`passgate/${SITE}/console/ha/no-such-gate/mode/set`, "free");
    await publish(`passgate/${SITE}/console/ha/bad$gate/mode/set`, "free");
    await publish(`${ha4}/open/arm/press`, "OPEN");
    await publish(`${ha4}/open/no-such-relay/press`, "PRESS");
    // Last, one that is valid: once it is on the wire, every command before it was handled.
    await publish(`${ha4}/open/arm/press`, "PRESS");
    await waitUntil(() => wire.messages.length > 0, "the valid request");

    expect(Object.fromEntries(ha.refusals())).toEqual({
      "ha-mode:invalid": 2,
      "ha-mode:too_large": 1,
      "ha-mode:unknown_gate": 1,
      "ha-command:invalid_topic": 1,
      "ha-open:invalid": 1,
      "ha-open:unknown_relay": 1,
    });
    expect(wire.messages.map((m) => m.topic)).toEqual([`${base}/request/open`]);
    expect(lines.join("")).not.toContain("SECRET");
    expect(lines.some((l) => l.includes("home assistant command refused"))).toBe(true);
  });

  it("sends an open as a signed request/open of the relay, at most once per relay per 2 s", async () => {
    const admin = operator("desk", ["admin"]);
    const { broker, base } = await siteWithGate("ha-5", [admin]);
    const clock = new FakeClock(Date.now());
    const { ha } = await startDiscovery(broker.url, admin, { clock });
    await waitUntil(() => ha.discoveredGates().includes("ha-5"), "the gate discovered");
    const wire = await watchTopics(broker.url, `${base}/request/open`);
    cleanups.push(() => wire.client.endAsync());
    const publish = await homeAssistant(broker.url);
    const press = () => publish(`passgate/${SITE}/console/ha/ha-5/open/arm/press`, "PRESS");

    await press();
    await press();
    await waitUntil(() => ha.refusals().get("ha-open:rate_limited") === 1, "the second press refused");
    clock.advance(2_000);
    await press();
    await waitUntil(() => wire.messages.length === 2, "two requests");

    const requests = wire.json(`${base}/request/open`) as unknown as SignedMessage[];
    for (const request of requests) {
      expect(request).toMatchObject({
        v: 1,
        signer: "operator:desk",
        body: { relay: "arm", reason: "Home Assistant", user: "home-assistant" },
      });
      expect(signedBy(`${base}/request/open`, request, admin.publicKey)).toBe(true);
    }
    expect(requests[1]?.at).toBe((requests[0]?.at ?? 0) + 2_000);
  });

  it("follows a gate's relays, and sends every config again when Home Assistant comes back", async () => {
    const broker = await TestMosquitto.start();
    cleanups.push(() => broker.close());
    const admin = operator("desk", ["admin"]);
    const { ha } = await startDiscovery(broker.url, admin);
    const publish = await homeAssistant(broker.url);
    // A gate's retained state as the gate publishes it (docs/mqtt.md), with two relays, then one.
    const state = (relays: Record<string, boolean>) =>
      JSON.stringify({ gate: "g-9", mode: "normal", modeSince: 0, modeSource: "config", relays, at: 0 });
    const button = (relay: string) =>
      `homeassistant/button/passgate_${SITE.replace(/[^A-Za-z0-9_-]/g, "_")}_g-9/open_${relay}/config`;
    await publish(`passgate/${SITE}/g-9/state`, state({ arm: true, "side-door": false }));
    let configs = await retainedCount(broker.url, "homeassistant/#", 6);
    expect(configs.has(button("arm")) && configs.has(button("side-door"))).toBe(true);

    await publish(`passgate/${SITE}/g-9/state`, state({ arm: true }));
    configs = await retainedUntil(broker.url, "homeassistant/#", (found) => !found.has(button("side-door")));
    expect(configs.has(button("arm"))).toBe(true);
    expect(configs.has(button("side-door"))).toBe(false);
    expect(configs.size).toBe(5);

    // Someone cleared the configs (a broker restarted without persistence): HA's birth brings them back.
    const client = connect(broker.url, { protocolVersion: 5 });
    await new Promise<void>((resolve) => client.once("connect", () => resolve()));
    cleanups.push(() => client.endAsync());
    for (const topic of configs.keys()) await client.publishAsync(topic, "", { qos: 1, retain: true });
    expect((await retained(broker.url, "homeassistant/#")).size).toBe(0);
    await client.publishAsync("homeassistant/status", "online", { qos: 1 });
    expect((await retainedCount(broker.url, "homeassistant/#", 5)).size).toBe(5);
    expect(ha.discoveredGates()).toEqual(["g-9"]);
  });
});
