import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  exampleGate,
  nowStep,
  runGate,
  staffToken,
  trustMembers,
} from "../../app/testing/mqtt-gate-fixture.js";
import type { GateView, LaneDecision, SiteSnapshot } from "../../console/api.js";
import { openEventStream } from "../../console/testing/event-stream-client.js";
import {
  ADMIN,
  GUARD,
  login,
  post,
  startTestConsole,
  type TestConsole,
} from "../../console/testing/test-console.js";
import { TestMosquitto } from "../../daemon/mqtt/testing/mosquitto.js";
import { testOperatorMember } from "../../daemon/trust/testing/test-members.js";
import { TasmotaEmulator } from "../../sim/devices/tasmota-emulator.js";

// The console and a real gate on one broker: what a guard sees of a scan, and what the gate
// does with the console's signed requests (its roster lists the console's operator).

let broker: TestMosquitto;
let board: TasmotaEmulator;
let gate: Awaited<ReturnType<typeof runGate>>;
let desk: TestConsole;
const OPERATOR = testOperatorMember("desk", ["guard", "admin"]);

beforeAll(async () => {
  broker = await TestMosquitto.start();
  const { config } = await exampleGate({
    site: "campus",
    gate: "main-1",
    mqtt: { url: broker.url, siteShare: false, confirmTimeout: "2s" },
    relays: [
      { id: "turnstile", reader: "in", driver: { type: "tasmota", topic: "ts-main-1" }, pulse: "300ms" },
    ],
  });
  trustMembers(config, [OPERATOR.member]);
  board = new TasmotaEmulator("ts-main-1");
  await board.start(broker.url);
  gate = await runGate(config);
  desk = await startTestConsole({ mqttUrl: broker.url, operatorKey: OPERATOR.signer.privateKey });
});
afterAll(async () => {
  await desk?.close();
  await gate?.stop();
  await board?.stop();
  await broker?.close();
});

async function gateView(session: { cookie: string }): Promise<GateView | undefined> {
  const r = await fetch(`${desk.url}/api/site`, { headers: { cookie: session.cookie } });
  return ((await r.json()) as SiteSnapshot).gates.find((g) => g.gate === "main-1");
}

describe("the console with a running gate", () => {
  it("shows the gate online with its relay, and a scan's decision live in its lane", async () => {
    const session = await login(desk.url, GUARD);
    await expect.poll(async () => (await gateView(session))?.online, { timeout: 10_000 }).toBe(true);
    expect((await gateView(session))?.relays).toEqual({ turnstile: true });
    const stream = await openEventStream(`${desk.url}/api/events`, session.cookie);
    gate.scan(staffToken(nowStep()));
    const live = await stream.next((e) => (e.data as { type?: string }).type === "decision", 10_000);
    const decision = (live.data as { decision: LaneDecision }).decision;
    expect(decision).toMatchObject({ gate: "main-1", reader: "in", result: "granted", credential: "42" });
    stream.close();
  });

  it("opens the lane once on a guard's request, which the gate verifies and answers", async () => {
    const session = await login(desk.url, GUARD);
    await expect.poll(async () => (await gateView(session))?.online, { timeout: 10_000 }).toBe(true);
    const response = await post(`${desk.url}/api/gates/main-1/open`, session, {
      relay: "turnstile",
      reason: "visitor, paper pass",
    });
    expect(await response.json()).toEqual({ ok: true, data: { relay: "turnstile", result: "opened" } });
    expect(response.status).toBe(200);
  });

  it("sets lockdown on an admin's request; the gate's state follows and it then refuses an open", async () => {
    const admin = await login(desk.url, ADMIN);
    const set = await post(`${desk.url}/api/gates/main-1/mode`, admin, { mode: "lockdown", confirm: true });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ ok: true, data: { mode: "lockdown", changed: true } });
    await expect.poll(async () => (await gateView(admin))?.mode, { timeout: 10_000 }).toBe("lockdown");
    const guard = await login(desk.url, GUARD);
    const refused = await post(`${desk.url}/api/gates/main-1/open`, guard, {
      relay: "turnstile",
      reason: "visitor",
    });
    expect(refused.status).toBe(502);
    expect(await refused.json()).toMatchObject({
      error: "gate_refused",
      message: expect.stringContaining("lockdown"),
    });
    const back = await post(`${desk.url}/api/gates/main-1/mode`, admin, { mode: "normal", confirm: true });
    expect(back.status).toBe(200);
  });
});
