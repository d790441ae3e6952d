import { createPublicKey, verify } from "node:crypto";
import { PassThrough } from "node:stream";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TestMosquitto } from "../daemon/mqtt/testing/mosquitto.js";
import { requestSchemas } from "../daemon/mqtt/topics.js";
import { type SignedMessage, signedMessageSchema, signingInput } from "../daemon/trust/signed-message.js";
import { createLogger } from "../platform/log/logger.js";
import type { SiteSnapshot } from "./api.js";
import { ADMIN, GUARD, login, post, startTestConsole, type TestConsole } from "./testing/test-console.js";

let broker: TestMosquitto;
let gate: MqttClient;
let desk: TestConsole | undefined;
/** What the scripted gate received, with whether its signature held for the console's key. */
let received: { topic: string; message: SignedMessage; signatureHolds: boolean }[] = [];
/** How the scripted gate answers; undefined: it stays silent. */
let answerWith: ((body: Record<string, unknown>) => Record<string, unknown>) | undefined;

beforeAll(async () => {
  broker = await TestMosquitto.start();
  gate = await connectAsync(broker.url, { protocolVersion: 5 });
  await gate.subscribeAsync("passgate/campus/main-1/request/+");
  gate.on("message", (topic, payload) => {
    const message = signedMessageSchema.parse(JSON.parse(payload.toString()));
    const key = createPublicKey(desk?.operatorKey ?? "");
    const signatureHolds = verify(
      null,
      signingInput(topic, message),
      key,
      Buffer.from(message.sig, "base64url"),
    );
    received.push({ topic, message, signatureHolds });
    if (answerWith === undefined) return;
    const command = topic.split("/").at(-1);
    const answer = { ...answerWith(message.body), transaction: message.body.transaction };
    void gate.publishAsync(`passgate/campus/main-1/response/${command}`, JSON.stringify(answer));
  });
});
afterAll(async () => {
  await gate.endAsync();
  await broker.close();
});
afterEach(async () => {
  await desk?.close();
  desk = undefined;
  received = [];
  answerWith = undefined;
  await gate.publishAsync("passgate/campus/main-1/state", "", { retain: true });
});

/** What the console logged in the current test, as JSON lines. */
let logged: string[] = [];

async function deskWithGate(): Promise<TestConsole> {
  logged = [];
  const destination = new PassThrough();
  destination.on("data", (chunk) => logged.push(String(chunk)));
  const logger = createLogger({ level: "info", destination });
  const started = await startTestConsole({ mqttUrl: broker.url, deps: { answerWaitMs: 1_500, logger } });
  const state = {
    gate: "main-1",
    mode: "normal",
    modeSince: 1,
    modeSource: "config",
    relays: { turnstile: true },
    at: Date.now(),
  };
  await gate.publishAsync("passgate/campus/main-1/state", JSON.stringify(state), { retain: true });
  const session = await login(started.url, GUARD);
  await expect
    .poll(
      async () =>
        (
          (await (
            await fetch(`${started.url}/api/site`, { headers: { cookie: session.cookie } })
          ).json()) as SiteSnapshot
        ).gates.length,
    )
    .toBe(1);
  return started;
}

describe("the console's actions on a gate", () => {
  it("opens a lane once with a request/open signed by the console's operator, naming the user and the reason", async () => {
    desk = await deskWithGate();
    answerWith = (body) => ({ status: "ok", data: { relay: body.relay, result: "opened" } });
    const session = await login(desk.url, GUARD);
    const response = await post(`${desk.url}/api/gates/main-1/open`, session, {
      relay: "turnstile",
      reason: "visitor, paper pass",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, data: { relay: "turnstile", result: "opened" } });
    expect(received).toHaveLength(1);
    const [sent] = received;
    expect(sent?.topic).toBe("passgate/campus/main-1/request/open");
    expect(sent?.signatureHolds).toBe(true);
    expect(sent?.message.signer).toBe("operator:desk");
    expect(Math.abs((sent?.message.at ?? 0) - Date.now())).toBeLessThan(30_000);
    // The body is what the gate's own schema for request/open accepts.
    expect(requestSchemas.open.parse(sent?.message.body)).toMatchObject({
      relay: "turnstile",
      reason: "visitor, paper pass",
      user: GUARD.name,
    });
    expect(String(sent?.message.body.transaction)).toMatch(/^console-/);
    // The action is logged with the user who asked, and its outcome.
    const lines = logged
      .join("")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: "asking the gate",
        user: GUARD.name,
        gate: "main-1",
        command: "open",
        reason: "visitor, paper pass",
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "the gate did it", user: GUARD.name, command: "open" }),
    );
  });

  it("tells the user when the gate refuses, and when it does not answer within the wait", async () => {
    desk = await deskWithGate();
    const session = await login(desk.url, GUARD);
    answerWith = () => ({ status: "error", data: {}, error: "lockdown: the gate opens for nobody" });
    const refused = await post(`${desk.url}/api/gates/main-1/open`, session, {
      relay: "turnstile",
      reason: "delivery",
    });
    expect(refused.status).toBe(502);
    expect(await refused.json()).toEqual({
      error: "gate_refused",
      message: "lockdown: the gate opens for nobody",
    });
    answerWith = undefined;
    const silent = await post(`${desk.url}/api/gates/main-1/open`, session, {
      relay: "turnstile",
      reason: "delivery",
    });
    expect(silent.status).toBe(502);
    expect(await silent.json()).toMatchObject({ error: "gate_no_answer" });
    expect(received).toHaveLength(2);
  });

  it("refuses an open without a reason of 3–120 characters, for an unknown relay or gate, before sending anything", async () => {
    desk = await deskWithGate();
    const session = await login(desk.url, GUARD);
    const url = `${desk.url}/api/gates/main-1/open`;
    expect((await post(url, session, { relay: "turnstile", reason: "ok" })).status).toBe(400);
    expect((await post(url, session, { relay: "turnstile", reason: "x".repeat(121) })).status).toBe(400);
    expect((await post(url, session, { relay: "turnstile", reason: "line\u0007bell" })).status).toBe(400);
    expect((await post(url, session, { relay: "turnstile" })).status).toBe(400);
    expect((await post(url, session, { relay: "gate-2", reason: "visitor" })).status).toBe(404);
    expect(
      (await post(`${desk.url}/api/gates/nowhere/open`, session, { relay: "turnstile", reason: "visitor" }))
        .status,
    ).toBe(404);
    expect(received).toEqual([]);
    expect(desk.running.counters.get("bad_request:open")).toBe(4);
  });

  it("lets only an admin change the mode, with the confirmation, signed and naming the admin", async () => {
    desk = await deskWithGate();
    answerWith = (body) => ({ status: "ok", data: { mode: body.mode, since: Date.now(), changed: true } });
    const guard = await login(desk.url, GUARD);
    const url = `${desk.url}/api/gates/main-1/mode`;
    const forbidden = await post(url, guard, { mode: "lockdown", confirm: true });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: "forbidden" });
    const admin = await login(desk.url, ADMIN);
    expect((await post(url, admin, { mode: "lockdown" })).status).toBe(400); // no confirmation
    expect(received).toEqual([]);
    const done = await post(url, admin, { mode: "lockdown", confirm: true });
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ ok: true, data: { mode: "lockdown", changed: true } });
    expect(received[0]?.topic).toBe("passgate/campus/main-1/request/mode");
    expect(received[0]?.signatureHolds).toBe(true);
    expect(requestSchemas.mode.parse(received[0]?.message.body)).toMatchObject({
      mode: "lockdown",
      user: ADMIN.name,
    });
  });

  it("refuses an action without the CSRF token", async () => {
    desk = await deskWithGate();
    const session = await login(desk.url, GUARD);
    const response = await fetch(`${desk.url}/api/gates/main-1/open`, {
      method: "POST",
      headers: { cookie: session.cookie, "content-type": "application/json" },
      body: JSON.stringify({ relay: "turnstile", reason: "visitor" }),
    });
    expect(response.status).toBe(403);
    expect(received).toEqual([]);
  });
});
