/**
 * A broker outage at a running gate, end to end: `passgate run` as a child process with
 *
 * - a real mosquitto that the test stops and starts again on the same port (`down()`,
 *   `up()`), without persistence, as a crashed broker comes back;
 * - a socat pty as the serial scanner, so scans keep arriving while the network is away;
 * - the simulated registry over real HTTP for the gate's allowlist;
 * - an emulated Tasmota board as the relay. Tasmota has no deadline of its own: if the
 *   gate (or mqtt.js's offline queue) sent an open late, the board would execute it, so
 *   every command it receives is checked against the time of its scan.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestMosquitto, waitUntil } from "../../daemon/mqtt/testing/mosquitto.js";
import { TasmotaEmulator } from "../../sim/devices/tasmota-emulator.js";
import type { RegistryServer } from "../../sim/registry/registry-server.js";
import type { SocatPty } from "../../sim/scanners/socat-pty.js";
import { type DemoPerson, demoPopulation } from "./demo-population.js";
import { leaked, nowStep, phoneCode, scan, startGate, startSiteRegistry } from "./e2e-site.js";
import type { GateProcess } from "./gate-process.js";

/** The deadline of an open (docs/mqtt.md): an open must never arrive later than this after its scan. */
const LATE_MS = 2000;

let broker: TestMosquitto;
let site: Awaited<ReturnType<typeof startSiteRegistry>>;
let registry: RegistryServer;
let bearer: string;
let people: DemoPerson[];
let tasmota: TasmotaEmulator;
let pty: SocatPty;
let gate: GateProcess;

beforeAll(async () => {
  broker = await TestMosquitto.start();
  site = await startSiteRegistry();
  registry = site.registry;
  bearer = site.bearer;
  people = demoPopulation(Date.now());
  registry.publish(people.map((p) => ({ type: "put" as const, credential: p.credential })));
  tasmota = new TasmotaEmulator("turnstile-o");
  await tasmota.start(broker.url);
  ({ gate, pty } = await startGate({
    gate: "gate-o",
    brokerUrl: broker.url,
    registry: site,
    relay: { type: "tasmota", topic: "turnstile-o", channel: 1 },
    pulse: "500ms",
  }));
}, 30_000);

afterAll(async () => {
  await gate?.stop();
  await pty?.unplug();
  await tasmota?.stop();
  await site?.close();
  await broker?.close();
  gate?.removeFiles();
});

describe("a broker restart under a running gate", () => {
  it("denies scans while the broker is down, opens nothing late after it returns, and opens again", async () => {
    // Each scan uses another person's or another step's code: all fresh, all valid.
    const codes = people
      .filter((p) => ["1001", "42", "2001", "3001"].includes(p.credential.id))
      .flatMap((p) => [0, 1].map((d) => ({ id: p.credential.id, code: phoneCode(p, nowStep() + d) })));
    const scans: { at: number; decision: number }[] = [];
    const scanOne = async () => {
      const next = codes[scans.length];
      if (next === undefined) throw new Error("out of codes");
      const decision = gate.decisions().length + 1;
      scans.push({ at: Date.now(), decision });
      await scan(pty, next.code);
      return gate.decision(decision);
    };
    const powerOns = () => tasmota.received.filter((r) => /POWER1?$/.test(r.topic) && r.payload === "ON");

    // Before: a grant opens the board.
    expect(await scanOne()).toMatchObject({ result: "granted", reason: "ok" });
    await waitUntil(() => powerOns().length === 1, "the first open", 2000);

    await broker.down();
    const downAt = Date.now();

    // The gate's own session is gone once its reconnect is refused (the board's will may come first).
    await gate.waitForLog((l) => l.msg === "mqtt error" && l.at >= downAt, "a refused reconnect", 3000);
    const whileDown = [await scanOne(), await scanOne(), await scanOne()];
    for (const d of whileDown) expect(d).toMatchObject({ result: "denied", reason: "relay_offline" });

    const upAt = Date.now();
    await broker.up();
    const reconnected = await gate.waitForLog(
      (l) => l.msg === "relay board online" && l.at > upAt,
      "the relay board back online at the gate",
      5000,
    );
    console.info(`broker restart: gate saw its relay board again ${reconnected.at - upAt} ms after up()`);
    // Long enough for anything queued during the outage to have arrived late.
    await new Promise((resolve) => setTimeout(resolve, LATE_MS + 200));
    expect(powerOns()).toHaveLength(1);

    // After: a fresh code opens again, promptly.
    const after = await scanOne();
    expect(after).toMatchObject({ result: "granted", reason: "ok" });
    await waitUntil(() => powerOns().length === 2, "the open after the restart", 2000);

    // Every command the board got arrived within the deadline of the scan just before it.
    for (const command of powerOns()) {
      const scanBefore = scans.filter((s) => s.at <= command.at).at(-1);
      expect(scanBefore).toBeDefined();
      expect(command.at - (scanBefore?.at ?? 0)).toBeLessThanOrEqual(LATE_MS);
    }
    expect(tasmota.opens).toHaveLength(2);
    expect(leaked(gate, [...codes.map((c) => c.code), bearer])).toEqual([]);
  });
});
