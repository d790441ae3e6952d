/**
 * Two gates of one site, each a real `passgate run` child process, as they are deployed:
 *
 * - a real mosquitto on a free loopback port: the site broker the gates, the relay boards
 *   and the turnstile sensor share, and over which the gates share accepted codes;
 * - a socat pty per gate: the serial barcode scanner, so scans cross a real tty and the
 *   serial reader's framing;
 * - the simulated registry over real HTTP: each gate pulls its first allowlist (the demo
 *   campus's people, fresh keys) with a bearer token and verifies its signature;
 * - emulated devices on MQTT: a Tasmota board and a turnstile rotation sensor at gate-a,
 *   a generic-protocol relay board at gate-b.
 *
 * What is asserted is what an operator would see: relay commands reaching the boards and
 * their timing, the gates' log lines, the journal through the CLI, exit codes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Watched, watchTopics } from "../../app/testing/mqtt-gate-fixture.js";
import { TestMosquitto, waitUntil } from "../../daemon/mqtt/testing/mosquitto.js";
import { GenericRelayEmulator } from "../../sim/devices/generic-relay-emulator.js";
import { TasmotaEmulator } from "../../sim/devices/tasmota-emulator.js";
import { TurnstileEmulator } from "../../sim/devices/turnstile-emulator.js";
import type { RegistryServer } from "../../sim/registry/registry-server.js";
import type { SocatPty } from "../../sim/scanners/socat-pty.js";
import { runCli } from "../run-cli.js";
import { type DemoPerson, demoPopulation } from "./demo-population.js";
import { leaked, nowStep, phoneCode, scan, startGate, startSiteRegistry } from "./e2e-site.js";
import type { GateProcess } from "./gate-process.js";

/** Pulse of gate-a's relay: Tasmota's PulseTime counts tenths of a second up to 11.1 s. */
const PULSE_MS = 700;

let broker: TestMosquitto;
let site: Awaited<ReturnType<typeof startSiteRegistry>>;
let registry: RegistryServer;
let bearer: string;
let people: DemoPerson[];
let gateA: GateProcess;
let gateB: GateProcess;
let ptyA: SocatPty;
let ptyB: SocatPty;
let tasmota: TasmotaEmulator;
let turnstile: TurnstileEmulator;
let generic: GenericRelayEmulator;
let watch: Watched;
/** Every code shown at either gate, to be searched for in their logs. */
const shown: string[] = [];

const person = (id: string): DemoPerson => {
  const p = people.find((x) => x.credential.id === id);
  if (p === undefined) throw new Error(`no demo person ${id}`);
  return p;
};
const show = (code: string): string => {
  shown.push(code);
  return code;
};

beforeAll(async () => {
  broker = await TestMosquitto.start();
  site = await startSiteRegistry();
  registry = site.registry;
  bearer = site.bearer;
  people = demoPopulation(Date.now());
  registry.publish(people.map((p) => ({ type: "put" as const, credential: p.credential })));

  tasmota = new TasmotaEmulator("turnstile-a");
  turnstile = new TurnstileEmulator("stat/turnstile-a/SWITCH1");
  generic = new GenericRelayEmulator("relay-b");
  await Promise.all([tasmota.start(broker.url), turnstile.start(broker.url), generic.start(broker.url)]);
  watch = await watchTopics(broker.url, "#");

  const [a, b] = await Promise.all([
    startGate({
      gate: "gate-a",
      brokerUrl: broker.url,
      registry: site,
      relay: { type: "tasmota", topic: "turnstile-a", channel: 1 },
      pulse: `${PULSE_MS}ms`,
      mqtt: { passage: [{ reader: "in", topic: "stat/turnstile-a/SWITCH1", payload: "ON", timeout: "5s" }] },
    }),
    startGate({
      gate: "gate-b",
      brokerUrl: broker.url,
      registry: site,
      relay: { type: "generic", device: "relay-b", channel: 1 },
    }),
  ]);
  ({ gate: gateA, pty: ptyA } = a);
  ({ gate: gateB, pty: ptyB } = b);
}, 40_000);

afterAll(async () => {
  await gateB?.stop();
  await gateA?.stop();
  await Promise.all([ptyA?.unplug(), ptyB?.unplug()]);
  await Promise.all([tasmota?.stop(), turnstile?.stop(), generic?.stop(), watch?.client.endAsync()]);
  await site?.close();
  await broker?.close();
  gateA?.removeFiles();
  gateB?.removeFiles();
});

describe("two gates of one site, as child processes", () => {
  it("opens gate-a's Tasmota relay for a granted code: ON, then OFF after the pulse, and journals the grant and the passage", async () => {
    /** The board's reported relay states, with their arrival times here (epoch ms). */
    const stateTimes: { state: string; at: number }[] = [];
    watch.client.on("message", (topic, payload) => {
      if (topic === "stat/turnstile-a/POWER1") stateTimes.push({ state: payload.toString(), at: Date.now() });
    });
    const student = person("1001");
    const code = show(phoneCode(student, nowStep()));
    const scannedAt = Date.now();
    await scan(ptyA, code);

    const decision = await gateA.decision(1);
    expect(decision).toMatchObject({ result: "granted", reason: "ok", credential: "1001", reader: "in" });
    await waitUntil(() => stateTimes.some((s) => s.state === "OFF"), "the relay to close again", 3000);
    const on = stateTimes.find((s) => s.state === "ON");
    const off = stateTimes.find((s) => s.state === "OFF");
    expect(on, JSON.stringify(stateTimes)).toBeDefined();
    expect(off).toBeDefined();
    // The board acted on one open of the configured length, soon after the scan.
    expect(tasmota.opens).toHaveLength(1);
    expect(tasmota.opens[0]?.ms).toBe(PULSE_MS);
    // Well inside the 2 s deadline of an open, with room for a loaded test machine.
    expect((on?.at ?? 0) - scannedAt).toBeLessThan(1000);
    const held = (off?.at ?? 0) - (on?.at ?? 0);
    // Seen from a third client: each report crosses the broker once more, so allow for that.
    expect(held).toBeGreaterThanOrEqual(PULSE_MS - 200);
    expect(held).toBeLessThanOrEqual(PULSE_MS + 250);
    console.info(
      `gate-a: scan → relay ON ${(on?.at ?? 0) - scannedAt} ms, held ${held} ms (pulse ${PULSE_MS} ms)`,
    );
    await waitUntil(
      () => watch.json("passgate/demo-campus/gate-a/event").some((e) => e.type === "relay"),
      "the relay event",
      3000,
    );
    expect(watch.json("passgate/demo-campus/gate-a/event").find((e) => e.type === "relay")).toMatchObject({
      relay: "turnstile",
      result: "opened",
      decisionId: expect.any(String),
    });

    // The person walks through: the rotation sensor reports it and the grant becomes a passage.
    await turnstile.rotate();
    await waitUntil(
      () => watch.json("passgate/demo-campus/gate-a/event").some((e) => e.type === "passage"),
      "the passage event",
      7000,
    );
    const passage = watch.json("passgate/demo-campus/gate-a/event").find((e) => e.type === "passage");
    expect(passage).toMatchObject({ result: "passed", person: "p-1001", reader: "in" });

    const tail = runCli(["-c", gateA.configPath, "journal", "tail", "--json"]);
    expect(tail.code, tail.stderr).toBe(0);
    const entries = tail.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const grant = entries.find((e) => e.kind === "decision");
    expect(grant).toMatchObject({ result: "granted", reason: "ok", credential: "1001", gate: "gate-a" });
    expect(grant?.id).toEqual(expect.any(String));
    expect(entries.find((e) => e.kind === "passage")).toMatchObject({
      reason: "passed",
      credential: "1001",
      data: { decision: grant?.id },
    });
    expect(tail.stdout).not.toContain(code.slice(4));
  });

  it("refuses at gate-b, as replayed, a code already granted at gate-a (site sharing over MQTT)", async () => {
    const staff = person("42");
    const code = show(phoneCode(staff, nowStep()));
    const before = gateA.decisions().length;
    await scan(ptyA, code);
    const atA = await gateA.decision(before + 1);
    expect(atA).toMatchObject({ result: "granted", reason: "ok", credential: "42" });
    await waitUntil(
      () =>
        watch.json("passgate/demo-campus/shared/gate-a/replay").some((r) => {
          // Signed by gate-a (site-roster.md): the record is the message's body.
          const body = r.body as Record<string, unknown> | undefined;
          return r.signer === "gate:gate-a" && body?.gate === "gate-a" && body.credential === "42";
        }),
      "gate-a to share the accepted code",
      3000,
    );
    // gate-b got the same broadcast at the same moment; give its handler time to store the
    // pair (nothing gate-b publishes says it did).
    await new Promise((resolve) => setTimeout(resolve, 300));

    await scan(ptyB, code);
    const atB = await gateB.decision(1);
    expect(atB).toMatchObject({ result: "denied", reason: "replayed", credential: "42" });
    // A fresh code still opens gate-b, so the refusal is about the screenshot, not the gate.
    await scan(ptyB, show(phoneCode(person("2001"), nowStep())));
    expect(await gateB.decision(2)).toMatchObject({ result: "granted", reason: "ok", credential: "2001" });
    await waitUntil(() => generic.opens.length === 1, "gate-b's relay to open", 3000);
    expect(generic.opens[0]?.ms).toBe(1000);
    // The shared message carries the credential and step, never the code.
    for (const m of watch.messages) expect(m.text).not.toContain(code.slice(4));
  });

  it("stops gate-a on SIGTERM with exit 0 and leaves a journal that verifies", async () => {
    const exit = await gateA.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(gateA.logs.some((l) => l.msg === "gate stopped")).toBe(true);
    const verify = runCli(["-c", gateA.configPath, "journal", "verify"]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/journal OK: \d+ entries/);
  });

  it("never writes a shown code or the registry bearer token to either gate's output", async () => {
    await gateB.stop();
    expect(shown.length).toBeGreaterThanOrEqual(3);
    expect(leaked(gateA, [...shown, bearer])).toEqual([]);
    expect(leaked(gateB, [...shown, bearer])).toEqual([]);
    expect(gateA.raw.length).toBeGreaterThan(5);
  });
});
