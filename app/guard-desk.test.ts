import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Config } from "../config/schema.js";
import { registryCredential } from "../daemon/allowlist/testing/test-bodies.js";
import { Journal } from "../daemon/journal/journal.js";
import { waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { alarmEventSchema, decisionEventSchema, gateStateSchema } from "../daemon/mqtt/topics.js";
import { publicKeyText } from "../daemon/trust/key-file.js";
import { openDatabase } from "../platform/database/database.js";
import { TasmotaEmulator } from "../sim/devices/tasmota-emulator.js";
import { brokerPerFile, cleanupsPerTest } from "./testing/broker-per-file.js";
import {
  exampleGate,
  nowStep,
  phoneToken,
  putCredentials,
  runGate,
  SITE,
  staffToken,
  studentToken,
  trustMembers,
  type Watched,
  watchTopics,
} from "./testing/mqtt-gate-fixture.js";

const broker = brokerPerFile();
const cleanups = cleanupsPerTest();

async function watch(gate: string): Promise<Watched> {
  const watched = await watchTopics(broker.url, `passgate/${SITE}/${gate}/#`);
  cleanups.push(() => watched.client.endAsync());
  return watched;
}

const events = (watched: Watched, gate: string) => watched.json(`passgate/${SITE}/${gate}/event`);
const states = (watched: Watched, gate: string) =>
  watched.json(`passgate/${SITE}/${gate}/state`).map((s) => gateStateSchema.parse(s));

function alarms(config: Config): string[] {
  const db = openDatabase(config.storage.path);
  try {
    return Journal.open(db)
      .tail(200)
      .filter((e) => e.kind === "alarm")
      .map((e) => `${e.reason}${e.data.relay === undefined ? "" : `:${String(e.data.relay)}`}`);
  } finally {
    db.close();
  }
}

describe("decision events for a guard's desk", () => {
  it("name the person from the allowlist's display name, cleaned and cut to 80 characters; no name, no field", async () => {
    const { config } = await exampleGate({ gate: "d-1", mqtt: { url: broker.url, siteShare: false } });
    // Escape sequences, a bidi override and a bell in a registry's name, and far too long.
    const raw = `\u001b[31mАнна\u202e Петрова\u0007 ${"я".repeat(100)}`;
    await putCredentials(config, [registryCredential(3001, { displayName: raw })]);
    const watched = await watch("d-1");
    const running = await runGate(config);
    cleanups.push(() => running.stop());
    const step = nowStep();
    const tokens = [staffToken(step), studentToken(step), phoneToken("3001", step)];
    for (const token of tokens) running.scan(token);
    await waitUntil(() => events(watched, "d-1").length === 3, "three decisions");
    const [staff, student, named] = events(watched, "d-1").map((e) => decisionEventSchema.parse(e));
    expect(staff).toMatchObject({ credential: "42", result: "granted", name: "Петров П. П." });
    expect(student?.credential).toBe("2001");
    expect(student !== undefined && "name" in student).toBe(false);
    const cleaned = `[31mАнна Петрова ${"я".repeat(100)}`.slice(0, 80);
    expect(named).toMatchObject({ credential: "3001", person: "p-3001", name: cleaned });
    expect(named?.name).toHaveLength(80);
    // Never the token's text.
    const text = watched.messages.map((m) => m.text).join("\n");
    for (const token of tokens) expect(text).not.toContain(token.slice(4, 40));
  }, 30_000);
});

describe("the retained state and the alarms of a guard's desk", () => {
  it("shows readers (bridged ones by their bridge), the allowlist version and the clock; republished when a reader comes or goes", async () => {
    const gate = "d-2";
    const { config, member } = await exampleGate({
      gate,
      mqtt: { url: broker.url, siteShare: false },
      readers: [
        { id: "in", direction: "in", source: { type: "stdin" } },
        { id: "lane", direction: "out", source: { type: "bridge" } },
      ],
    });
    const { publicKey } = generateKeyPairSync("ed25519");
    trustMembers(config, [
      member,
      {
        id: "bridge:west",
        kind: "bridge",
        gate,
        readers: ["lane"],
        publicKey: publicKeyText(publicKey),
        status: "active",
      },
    ]);
    const watched = await watch(gate);
    let synced: boolean | undefined = true;
    let asked = 0;
    const probe = async () => {
      asked++;
      return synced;
    };
    const running = await runGate(config, { clockSync: { probe, everyMs: 200 } });
    cleanups.push(() => running.stop());
    const last = () => states(watched, gate).at(-1);
    // Readers start last: the state published at start has them disconnected, and goes out
    // again by itself once the local one runs.
    await waitUntil(
      () => last()?.clock?.synced === true && last()?.readers?.[0]?.connected === true,
      "the clock and the local reader in the state",
    );
    expect(last()).toMatchObject({
      gate,
      readers: [
        { id: "in", direction: "in", connected: true },
        { id: "lane", direction: "out", connected: false },
      ],
      allowlist: { version: 7, syncedAt: expect.any(Number) },
      clock: { synced: true },
    });
    // The bridge comes online: its lane is connected, and the state says so by itself.
    await watched.client.publishAsync(`passgate/${SITE}/${gate}/bridge/west/status`, "online", {
      retain: true,
    });
    await waitUntil(() => last()?.readers?.[1]?.connected === true, "the bridged lane connected");
    await watched.client.publishAsync(`passgate/${SITE}/${gate}/bridge/west/status`, "offline", {
      retain: true,
    });
    await waitUntil(() => last()?.readers?.[1]?.connected === false, "the bridged lane gone");

    // The clock loses its sync: one alarm, however often it is asked; the state follows.
    synced = false;
    await waitUntil(() => last()?.clock?.synced === false, "the unsynced clock in the state");
    const unsyncedAt = asked;
    await waitUntil(() => asked >= unsyncedAt + 3, "three more answers of an unsynced clock");
    synced = true;
    await waitUntil(() => last()?.clock?.synced === true, "the clock synced again");
    const clockAlarms = events(watched, gate).filter((e) => e.result === "clock_unsynced");
    expect(clockAlarms.map((e) => alarmEventSchema.parse(e))).toEqual([
      { type: "alarm", at: expect.any(Number), gate, result: "clock_unsynced" },
    ]);
    await running.stop();
    expect(alarms(config)).toEqual(["bridge_offline", "clock_unsynced"]);
  }, 30_000);

  it("has no clock where the gate cannot tell, and raises relay_offline once when a board drops off", async () => {
    const gate = "d-3";
    const { config } = await exampleGate({
      gate,
      mqtt: { url: broker.url, siteShare: false, reconnectMin: "100ms" },
      relays: [
        { id: "turnstile", reader: "in", driver: { type: "tasmota", topic: `ts-${gate}` }, pulse: "1s" },
      ],
    });
    const board = new TasmotaEmulator(`ts-${gate}`);
    await board.start(broker.url);
    cleanups.push(() => board.stop());
    const watched = await watch(gate);
    const running = await runGate(config);
    cleanups.push(() => running.stop());
    const last = () => states(watched, gate).at(-1);
    await waitUntil(() => last()?.relays.turnstile === true, "the relay online");
    expect(last() !== undefined && "clock" in (last() ?? {})).toBe(false);
    await board.dropOff();
    await waitUntil(() => last()?.relays.turnstile === false, "the relay offline in the state");
    await waitUntil(() => events(watched, gate).some((e) => e.result === "relay_offline"), "the alarm");
    expect(events(watched, gate).map((e) => alarmEventSchema.parse(e))).toEqual([
      { type: "alarm", at: expect.any(Number), gate, result: "relay_offline", relay: "turnstile" },
    ]);
    // Back and gone again: a second change, a second alarm.
    await board.start(broker.url);
    await waitUntil(() => last()?.relays.turnstile === true, "the relay back");
    await board.dropOff();
    await waitUntil(
      () => events(watched, gate).filter((e) => e.result === "relay_offline").length === 2,
      "the second alarm",
    );
    await running.stop();
    expect(alarms(config)).toEqual(["relay_offline:turnstile", "relay_offline:turnstile"]);
  }, 30_000);
});
