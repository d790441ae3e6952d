import type { KeyObject } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { MqttClient } from "mqtt";
import { describe, expect, it } from "vitest";
import { type Config, configSchema } from "../config/schema.js";
import { EXAMPLE_SITE } from "../daemon/allowlist/testing/test-bodies.js";
import { Journal } from "../daemon/journal/journal.js";
import { waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { signMessage } from "../daemon/trust/signed-message.js";
import { testOperatorMember } from "../daemon/trust/testing/test-members.js";
import { systemClock } from "../platform/clock.js";
import { openDatabase } from "../platform/database/database.js";
import { createLogger } from "../platform/log/logger.js";
import { TasmotaEmulator } from "../sim/devices/tasmota-emulator.js";
import { runCliInProcess } from "../test/cli-harness.js";
import { type RunningDaemon, startDaemon } from "./gate-app.js";
import { brokerPerFile, cleanupsPerTest } from "./testing/broker-per-file.js";
import { prepareExampleDatabase, staffToken, watchTopics } from "./testing/mqtt-gate-fixture.js";

const logger = createLogger({ level: "silent" });

const broker = brokerPerFile();
const cleanups = cleanupsPerTest();

const ADMIN = testOperatorMember("admin", ["admin"]);
const GUARD = testOperatorMember("guard", ["guard"]);

/** A request as `who` signs it for `topic`. */
function signed(topic: string, body: Record<string, unknown>, who = ADMIN): string {
  return JSON.stringify(
    signMessage({ topic, signer: who.signer.id, privateKey: who.signer.privateKey, body, at: Date.now() }),
  );
}

let gates = 0;
async function gateSetup(): Promise<{ config: Config; device: TasmotaEmulator; gate: string; file: string }> {
  gates++;
  const gate = `main-${gates}`;
  const dir = mkdtempSync(join(tmpdir(), "passgate-actuation-"));
  const raw = {
    site: EXAMPLE_SITE,
    gate,
    timezone: "Europe/Moscow",
    storage: { path: join(dir, "gate.db") },
    mqtt: { url: broker.url, reconnectMin: "100ms", reconnectMax: "400ms", confirmTimeout: "1500ms" },
    readers: [{ id: "in", direction: "in", source: { type: "stdin" } }],
    relays: [
      { id: "turnstile", reader: "in", driver: { type: "tasmota", topic: `ts-${gate}` }, pulse: "1s" },
    ],
    policy: { rules: [{ name: "staff", roles: ["staff"] }] },
  };
  const config = configSchema.parse(raw);
  const file = join(dir, "passgate.yaml");
  writeFileSync(file, JSON.stringify(raw));
  // The site's operators: requests are acted on only when one of them signed it.
  await prepareExampleDatabase(config, [ADMIN.member, GUARD.member]);
  const device = new TasmotaEmulator(`ts-${gate}`);
  await device.start(broker.url);
  cleanups.push(() => device.stop());
  return { config, device, gate, file };
}

async function runGate(config: Config): Promise<{ daemon: RunningDaemon; stdin: PassThrough }> {
  const stdin = new PassThrough();
  const daemon = await startDaemon(config, { stdin, logger, clock: systemClock });
  cleanups.push(async () => {
    stdin.end();
    await daemon.stop();
  });
  return { daemon, stdin };
}

/** A client watching every topic of the gate, as an operator's dashboard would. */
async function watch(
  gate: string,
): Promise<{ client: MqttClient; messages: { topic: string; text: string }[] }> {
  const { client, messages } = await watchTopics(broker.url, `passgate/${EXAMPLE_SITE}/${gate}/#`);
  cleanups.push(() => client.endAsync());
  return { client, messages };
}

const events = (messages: { topic: string; text: string }[], gate: string) =>
  messages
    .filter((m) => m.topic === `passgate/${EXAMPLE_SITE}/${gate}/event`)
    .map((m) => JSON.parse(m.text) as Record<string, unknown>);

const lastState = (messages: { topic: string; text: string }[], gate: string) => {
  const states = messages.filter((m) => m.topic === `passgate/${EXAMPLE_SITE}/${gate}/state`);
  const last = states[states.length - 1];
  return last === undefined
    ? undefined
    : (JSON.parse(last.text) as { mode: string; relays: Record<string, boolean> });
};

describe("passgate run with MQTT relays", () => {
  it("opens the relay on a grant, publishes every decision without the token, and denies relay_offline when the board is gone", async () => {
    const { config, device, gate } = await gateSetup();
    const { messages } = await watch(gate);
    const { stdin } = await runGate(config);
    await waitUntil(
      () => lastState(messages, gate)?.relays.turnstile === true,
      "the relay online in the state",
    );
    expect(messages.find((m) => m.topic.endsWith("/status"))?.text).toBe("online");

    const step = Math.floor(Date.now() / 30_000);
    const token = staffToken(step);
    stdin.write(`${token}\n`);
    await waitUntil(() => device.opens.length === 1, "the turnstile to open");
    expect(device.opens[0]?.ms).toBe(1000);
    stdin.write(`${token}\n`);
    await waitUntil(
      () => events(messages, gate).filter((e) => e.type === "decision").length === 2,
      "two decisions",
    );
    const decisions = events(messages, gate).filter((e) => e.type === "decision");
    expect(decisions.map((d) => `${d.result}:${d.reason}`)).toEqual(["granted:ok", "denied:replayed"]);
    expect(decisions[0]).toMatchObject({ credential: "42", reader: "in", direction: "in", gate });
    // The gate's own decision time (scan text to committed journal entry), for a site watching its gates.
    for (const d of decisions) expect(d.micros).toBeGreaterThan(0);
    await waitUntil(() => events(messages, gate).some((e) => e.type === "relay"), "the relay event");
    expect(events(messages, gate).find((e) => e.type === "relay")).toMatchObject({
      relay: "turnstile",
      result: "opened",
    });
    for (const m of messages) expect(m.text).not.toContain(token.slice(4, 20));
    expect(device.opens).toHaveLength(1);

    await device.dropOff();
    await waitUntil(
      () => lastState(messages, gate)?.relays.turnstile === false,
      "the relay offline in the state",
    );
    stdin.write(`${staffToken(step + 1)}\n`);
    await waitUntil(
      () => events(messages, gate).filter((e) => e.type === "decision").length === 3,
      "a third decision",
    );
    expect(events(messages, gate).filter((e) => e.type === "decision")[2]).toMatchObject({
      result: "denied",
      reason: "relay_offline",
    });
  });

  it("answers mode, status and pulse requests with the transaction id; a mode survives a restart and is journaled", async () => {
    const { config, device, gate } = await gateSetup();
    const { client, messages } = await watch(gate);
    const first = await runGate(config);
    await waitUntil(() => lastState(messages, gate)?.relays.turnstile === true, "the relay online");
    const base = `passgate/${EXAMPLE_SITE}/${gate}`;
    const responses = (command: string) =>
      messages.filter((m) => m.topic === `${base}/response/${command}`).map((m) => JSON.parse(m.text));

    // Unsigned: anyone on the broker. Not answered, counted, and the mode stays.
    await client.publishAsync(`${base}/request/mode`, JSON.stringify({ mode: "free", transaction: "t-0" }));
    await client.publishAsync(
      `${base}/request/pulse`,
      JSON.stringify({ relay: "turnstile", transaction: 6 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(responses("mode")).toEqual([]);
    expect(responses("pulse")).toEqual([]);
    expect(device.opens).toHaveLength(0);

    await client.publishAsync(
      `${base}/request/mode`,
      signed(`${base}/request/mode`, { mode: "lockdown", transaction: "t-1" }),
    );
    await waitUntil(() => responses("mode").length === 1, "the mode response");
    expect(responses("mode")[0]).toMatchObject({
      status: "ok",
      transaction: "t-1",
      data: { mode: "lockdown" },
    });
    await waitUntil(
      () => lastState(messages, gate)?.mode === "lockdown",
      "the retained state to show lockdown",
    );

    await client.publishAsync(
      `${base}/request/mode`,
      signed(`${base}/request/mode`, { mode: "party", transaction: "t-2" }),
    );
    await waitUntil(() => responses("mode").length === 2, "the refusal");
    expect(responses("mode")[1]).toMatchObject({ status: "error" });
    // A guard may open once, not change the mode.
    await client.publishAsync(
      `${base}/request/mode`,
      signed(`${base}/request/mode`, { mode: "free", transaction: "t-3" }, GUARD),
    );
    await waitUntil(() => responses("mode").length === 3, "the guard's refusal");
    expect(responses("mode")[2]).toMatchObject({
      status: "error",
      transaction: "t-3",
      error: "operator:guard may not mode at this gate",
    });

    await client.publishAsync(
      `${base}/request/pulse`,
      signed(`${base}/request/pulse`, { relay: "turnstile", transaction: 7 }, GUARD),
    );
    await waitUntil(() => responses("pulse").length === 1, "the pulse response");
    expect(responses("pulse")[0]).toMatchObject({ status: "ok", transaction: 7 });
    expect(device.opens).toHaveLength(1);
    await client.publishAsync(
      `${base}/request/pulse`,
      signed(`${base}/request/pulse`, { relay: "nope", transaction: 8 }, GUARD),
    );
    await waitUntil(() => responses("pulse").length === 2, "the second pulse response");
    expect(responses("pulse")[1]).toMatchObject({
      status: "error",
      transaction: 8,
      error: 'unknown relay "nope"',
    });

    const step = Math.floor(Date.now() / 30_000);
    first.stdin.write(`${staffToken(step)}\n`);
    await waitUntil(() => events(messages, gate).length >= 1, "the decision");
    expect(events(messages, gate).find((e) => e.type === "decision")).toMatchObject({ reason: "lockdown" });

    await client.publishAsync(`${base}/request/status`, "");
    await waitUntil(() => responses("status").length === 1, "the status response");
    expect(responses("status")[0]).toMatchObject({
      status: "ok",
      data: { mode: "lockdown", modeSource: "mqtt", relays: { turnstile: true } },
    });
    expect(responses("status")[0].data.trustRefusals).toEqual({
      "request-mode:unsigned": 1,
      "request-pulse:unsigned": 1,
      "request-mode:invalid_body": 1,
      "request-mode:not_authorized": 1,
    });

    const c = cleanups.splice(cleanups.length - 1, 1)[0];
    await c?.();
    const second = await runGate(config);
    expect(second.daemon.gate.currentMode()).toBe("lockdown");
    await second.daemon.stop();
    const db = openDatabase(config.storage.path);
    const modes = Journal.open(db)
      .tail(100)
      .filter((e) => e.kind === "mode");
    db.close();
    expect(modes.map((e) => [e.reason, e.data.source, e.data.by])).toEqual([
      ["lockdown", "mqtt", "operator:admin"],
    ]);
  });

  it("passgate mode set: journaled once, shown by passgate mode, adopted by the running gate within a second", async () => {
    const { config, gate, file, device } = await gateSetup();
    const { messages } = await watch(gate);
    const { daemon } = await runGate(config);
    await waitUntil(() => lastState(messages, gate)?.mode === "normal", "the retained state");
    const set = await runCliInProcess(["--config", file, "mode", "set", "free"]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^mode set: free .*set by cli/);
    await waitUntil(() => daemon.gate.currentMode() === "free", "the gate to adopt free passage", 5_000);
    await waitUntil(() => lastState(messages, gate)?.mode === "free", "the state to show free passage");
    // Free passage holds the turnstile's relay open (PulseTime 0, POWER ON) until it ends.
    await waitUntil(() => device.isOn(1) && device.pulseTime.get(1) === 0, "the relay held open");
    expect((await runCliInProcess(["--config", file, "mode", "set", "free"])).stdout).toMatch(
      /^mode unchanged: free/,
    );
    expect((await runCliInProcess(["--config", file, "mode"])).stdout).toMatch(
      /^free \(since .*set by cli\)/,
    );
    expect((await runCliInProcess(["--config", file, "mode", "set", "panic"])).code).toBe(2);
    expect((await runCliInProcess(["--config", file, "mode", "set", "normal"])).code).toBe(0);
    await waitUntil(() => !device.isOn(1), "the relay released", 5_000);
    const db = openDatabase(config.storage.path);
    const modes = Journal.open(db)
      .tail(100)
      .filter((e) => e.kind === "mode");
    db.close();
    expect(modes.map((e) => [e.reason, e.data.source])).toEqual([
      ["free", "cli"],
      ["normal", "cli"],
    ]);
  }, 60_000);

  it("passgate mode set --operator: asks the running gate, signed; a guard is refused, a stranger gets no answer", async () => {
    const { config, gate, file } = await gateSetup();
    const { messages } = await watch(gate);
    const stopped = await runCliInProcess(["--config", file, "mode", "set", "lockdown", "--operator", "x"]);
    expect(stopped.code).toBe(1);
    const keys = mkdtempSync(join(tmpdir(), "passgate-operator-"));
    const keyOf = (who: { signer: { privateKey: KeyObject } }, name: string) => {
      const path = join(keys, `${name}.key`);
      writeFileSync(path, who.signer.privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
      return path;
    };
    const { daemon } = await runGate(config);
    await waitUntil(() => lastState(messages, gate)?.mode === "normal", "the retained state");
    const asAdmin = await runCliInProcess([
      "--config",
      file,
      "mode",
      "set",
      "lockdown",
      "--operator",
      "admin",
      "--key",
      keyOf(ADMIN, "admin"),
    ]);
    expect(asAdmin.code, asAdmin.stderr).toBe(0);
    expect(asAdmin.stdout).toBe(`mode set: lockdown (asked of the running gate ${gate} as operator:admin)\n`);
    expect(daemon.gate.currentMode()).toBe("lockdown");
    const asGuard = await runCliInProcess([
      "--config",
      file,
      "mode",
      "set",
      "free",
      "--operator",
      "guard",
      "--key",
      keyOf(GUARD, "guard"),
    ]);
    expect(asGuard.code).toBe(1);
    expect(asGuard.stderr).toContain("operator:guard may not mode");
    const stranger = testOperatorMember("stranger", ["admin"]);
    const asStranger = await runCliInProcess([
      "--config",
      file,
      "mode",
      "set",
      "free",
      "--operator",
      "stranger",
      "--key",
      keyOf(stranger, "stranger"),
    ]);
    expect(asStranger.code).toBe(1);
    expect(asStranger.stderr).toContain("did not answer");
    expect(daemon.gate.currentMode()).toBe("lockdown");
    const db = openDatabase(config.storage.path);
    const modes = Journal.open(db)
      .tail(100)
      .filter((e) => e.kind === "mode");
    db.close();
    expect(modes.map((e) => [e.reason, e.data.source, e.data.by])).toEqual([
      ["lockdown", "mqtt", "operator:admin"],
    ]);
  }, 60_000);
});
