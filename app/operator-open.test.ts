import { describe, expect, it } from "vitest";
import type { Config } from "../config/schema.js";
import { Journal } from "../daemon/journal/journal.js";
import type { JournalEntry } from "../daemon/journal/journal-entry.js";
import { waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { operatorOpenEventSchema } from "../daemon/mqtt/topics.js";
import { signMessage } from "../daemon/trust/signed-message.js";
import { testOperatorMember } from "../daemon/trust/testing/test-members.js";
import { openDatabase } from "../platform/database/database.js";
import { TasmotaEmulator } from "../sim/devices/tasmota-emulator.js";
import { TurnstileEmulator } from "../sim/devices/turnstile-emulator.js";
import { runCliInProcess } from "../test/cli-harness.js";
import { brokerPerFile, cleanupsPerTest } from "./testing/broker-per-file.js";
import {
  exampleGate,
  runGate,
  SITE,
  trustMembers,
  type Watched,
  watchTopics,
} from "./testing/mqtt-gate-fixture.js";

const broker = brokerPerFile();
const cleanups = cleanupsPerTest();

const GUARD = testOperatorMember("desk-1", ["guard"], ["o-1", "o-2", "o-3"]);
const ADMIN = testOperatorMember("chief", ["admin"]);
const ELSEWHERE = testOperatorMember("desk-9", ["guard"], ["north-9"]);
const REVOKED = testOperatorMember("desk-old", ["guard"]);

type Operator = typeof GUARD;

/**
 * A gate with a Tasmota-driven turnstile on reader `in`, its rotation sensor, and the
 * site's operators in its roster; a client watching everything the gate publishes.
 */
async function openableGate(gate: string) {
  const sensorTopic = `stat/ts-${gate}/SWITCH1`;
  const { config, file } = await exampleGate({
    gate,
    mqtt: {
      url: broker.url,
      confirmTimeout: "1500ms",
      passage: [{ reader: "in", topic: sensorTopic, payload: "ON", timeout: "5s" }],
      siteShare: false,
    },
    relays: [
      { id: "turnstile", reader: "in", driver: { type: "tasmota", topic: `ts-${gate}` }, pulse: "1s" },
    ],
  });
  trustMembers(config, [
    GUARD.member,
    ADMIN.member,
    ELSEWHERE.member,
    { ...REVOKED.member, status: "revoked" },
  ]);
  const board = new TasmotaEmulator(`ts-${gate}`);
  await board.start(broker.url);
  const turnstile = new TurnstileEmulator(sensorTopic);
  await turnstile.start(broker.url);
  const watched = await watchTopics(broker.url, `passgate/${SITE}/${gate}/#`);
  const running = await runGate(config);
  cleanups.push(async () => {
    await running.stop();
    await turnstile.stop();
    await board.stop();
    await watched.client.endAsync();
  });
  const base = `passgate/${SITE}/${gate}`;
  await waitUntil(
    () => (watched.json(`${base}/state`).at(-1)?.relays as Record<string, boolean>)?.turnstile === true,
    "the relay online",
  );
  return { config, file, board, turnstile, watched, running, base };
}

function request(
  watched: Watched,
  base: string,
  command: "open" | "mode",
  body: Record<string, unknown>,
  who: Operator | undefined,
): Promise<void> {
  const topic = `${base}/request/${command}`;
  const payload =
    who === undefined
      ? JSON.stringify(body)
      : JSON.stringify(
          signMessage({
            topic,
            signer: who.signer.id,
            privateKey: who.signer.privateKey,
            body,
            at: Date.now(),
          }),
        );
  return watched.client.publishAsync(topic, payload).then(() => undefined);
}

const responses = (watched: Watched, base: string, command: string) =>
  watched.json(`${base}/response/${command}`);
const events = (watched: Watched, base: string) => watched.json(`${base}/event`);

function journal(config: Config): JournalEntry[] {
  const db = openDatabase(config.storage.path);
  try {
    return Journal.open(db).tail(200);
  } finally {
    db.close();
  }
}

describe("request/open: a guard opens a lane once", () => {
  it("pulses the relay, journals who, for whom and why, publishes operator_open, and the rotation after it is its passage", async () => {
    const { config, file, board, turnstile, watched, base } = await openableGate("o-1");
    await request(
      watched,
      base,
      "open",
      { relay: "turnstile", reason: "visitor, paper pass", user: "ivanova", transaction: 7 },
      GUARD,
    );
    await waitUntil(() => responses(watched, base, "open").length === 1, "the answer");
    expect(responses(watched, base, "open")[0]).toEqual({
      status: "ok",
      data: { relay: "turnstile", result: "opened" },
      transaction: 7,
    });
    expect(board.opens).toHaveLength(1);
    await waitUntil(() => events(watched, base).some((e) => e.type === "operator_open"), "the event");
    const event = operatorOpenEventSchema.parse(
      events(watched, base).find((e) => e.type === "operator_open"),
    );
    expect(event).toMatchObject({
      gate: "o-1",
      relay: "turnstile",
      by: "operator:desk-1",
      user: "ivanova",
      reason: "visitor, paper pass",
      result: "opened",
    });

    // The person walks through: that is the open's passage, not a forced one.
    await turnstile.rotate();
    await waitUntil(() => events(watched, base).some((e) => e.type === "passage"), "the passage");
    const open = journal(config).find((e) => e.reason === "operator_open");
    expect(open).toMatchObject({
      kind: "system",
      data: { relay: "turnstile", by: "operator:desk-1", user: "ivanova", reason: "visitor, paper pass" },
    });
    expect(events(watched, base).find((e) => e.type === "passage")).toMatchObject({
      result: "passed",
      decisionId: open?.id,
      reader: "in",
    });
    // A second rotation nobody was let through is the alarm, as before.
    await turnstile.rotate();
    await waitUntil(() => events(watched, base).some((e) => e.type === "alarm"), "the forced passage");
    expect(events(watched, base).filter((e) => e.type === "alarm")).toEqual([
      expect.objectContaining({ result: "forced_passage", reader: "in" }),
    ]);
    expect(journal(config).map((e) => `${e.kind}:${e.reason}`)).toEqual([
      "system:operator_open",
      "passage:passed",
      "alarm:forced_passage",
    ]);

    // The journal commands show the record and accept the chain with it.
    const tail = await runCliInProcess(["--config", file, "journal", "tail"]);
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stdout).toMatch(
      /system operator_open by=operator:desk-1 reason=visitor, paper pass relay=turnstile user=ivanova/,
    );
    const verify = await runCliInProcess(["--config", file, "journal", "verify"]);
    expect(verify.code, verify.stderr).toBe(0);
  }, 30_000);

  it("is refused unsigned, by a revoked or another gate's operator, with a bad reason or user, and in lockdown; free passage pulses nothing", async () => {
    const { config, board, watched, base } = await openableGate("o-2");
    const open = { relay: "turnstile", reason: "visitor, paper pass" };
    // Not answered: unsigned, and signed by a revoked member.
    await request(watched, base, "open", open, undefined);
    await request(watched, base, "open", open, REVOKED);
    // Answered with the reason.
    await request(watched, base, "open", { ...open, transaction: "t-9" }, ELSEWHERE);
    await request(watched, base, "open", { ...open, reason: "ok", transaction: "short" }, GUARD);
    await request(watched, base, "open", { ...open, reason: "visitor\u001b[2J", transaction: "ctl" }, GUARD);
    await request(watched, base, "open", { ...open, user: "x".repeat(65), transaction: "user" }, GUARD);
    await request(watched, base, "open", { ...open, relay: "door", transaction: "relay" }, GUARD);
    await waitUntil(() => responses(watched, base, "open").length === 5, "five answers");
    const byTransaction = new Map(responses(watched, base, "open").map((r) => [r.transaction, r]));
    expect(byTransaction.get("t-9")).toMatchObject({
      status: "error",
      error: "operator:desk-9 may not open at this gate",
    });
    expect(byTransaction.get("short")).toMatchObject({
      status: "error",
      error: "invalid open request: reason: must be 3–120 characters",
    });
    expect(byTransaction.get("ctl")).toMatchObject({
      status: "error",
      error: "invalid open request: reason: must not hold control characters",
    });
    expect(byTransaction.get("user")?.error).toMatch(/^invalid open request: user: /);
    expect(byTransaction.get("relay")).toMatchObject({ status: "error", error: 'unknown relay "door"' });
    const refusals = (await statusOf(watched, base)).trustRefusals as Record<string, number>;
    expect(refusals).toMatchObject({
      "request-open:unsigned": 1,
      "request-open:revoked_signer": 1,
      "request-open:not_authorized": 1,
      "request-open:invalid_body": 3,
    });

    // An admin locks the gate down, naming the console's user: no one is let through.
    await request(watched, base, "mode", { mode: "lockdown", user: "petrov", transaction: 1 }, ADMIN);
    await waitUntil(() => responses(watched, base, "mode").length === 1, "the mode answer");
    await request(watched, base, "open", { ...open, transaction: "locked" }, GUARD);
    await waitUntil(() => responses(watched, base, "open").length === 6, "the lockdown answer");
    expect(responses(watched, base, "open").at(-1)).toMatchObject({
      status: "error",
      error: "lockdown: the gate opens for nobody",
      transaction: "locked",
    });
    // In free passage every relay is held open already: nothing to pulse, nothing journaled.
    await request(watched, base, "mode", { mode: "free", transaction: 2 }, ADMIN);
    await waitUntil(() => responses(watched, base, "mode").length === 2, "the second mode answer");
    await request(watched, base, "open", { ...open, transaction: "free" }, GUARD);
    await waitUntil(() => responses(watched, base, "open").length === 7, "the free-passage answer");
    expect(responses(watched, base, "open").at(-1)).toEqual({
      status: "ok",
      data: { relay: "turnstile", result: "opened", freePassage: true },
      transaction: "free",
    });
    // The board saw only free passage's hold (POWER ON with no pulse time), no pulse.
    expect(board.opens.map((o) => o.ms)).toEqual([0]);
    expect(events(watched, base).filter((e) => e.type === "operator_open")).toEqual([]);
    const entries = journal(config);
    expect(entries.some((e) => e.reason === "operator_open")).toBe(false);
    expect(entries.filter((e) => e.kind === "mode").map((e) => e.data)).toEqual([
      { from: "normal", source: "mqtt", by: "operator:chief", user: "petrov" },
      { from: "lockdown", source: "mqtt", by: "operator:chief" },
    ]);
  }, 30_000);

  it("answers an error and publishes a failed operator_open when the board is away", async () => {
    const { config, board, turnstile, watched, base } = await openableGate("o-3");
    await board.dropOff();
    await waitUntil(
      () => (watched.json(`${base}/state`).at(-1)?.relays as Record<string, boolean>)?.turnstile === false,
      "the relay offline",
    );
    await request(watched, base, "open", { relay: "turnstile", reason: "courier at the gate" }, GUARD);
    await waitUntil(() => responses(watched, base, "open").length === 1, "the answer");
    expect(responses(watched, base, "open")[0]).toEqual({
      status: "error",
      data: {},
      error: "relay turnstile: offline",
    });
    await waitUntil(() => events(watched, base).some((e) => e.type === "operator_open"), "the event");
    expect(events(watched, base).find((e) => e.type === "operator_open")).toMatchObject({
      relay: "turnstile",
      by: "operator:desk-1",
      reason: "courier at the gate",
      result: "failed",
      error: "offline",
    });
    // Nobody was let through: a rotation now is forced, not the open's passage.
    await turnstile.rotate();
    await waitUntil(
      () => events(watched, base).some((e) => e.result === "forced_passage"),
      "the forced passage",
    );
    expect(events(watched, base).some((e) => e.type === "passage")).toBe(false);
    // Journaled before the pulse, as every open is: who asked and why stays on record.
    expect(journal(config).map((e) => `${e.kind}:${e.reason}`)).toEqual([
      "alarm:relay_offline",
      "system:operator_open",
      "alarm:forced_passage",
    ]);
  }, 30_000);
});

/** The gate's `status` answer (the refusal counts are in it). */
async function statusOf(watched: Watched, base: string): Promise<Record<string, unknown>> {
  const before = responses(watched, base, "status").length;
  await watched.client.publishAsync(`${base}/request/status`, "");
  await waitUntil(() => responses(watched, base, "status").length > before, "the status answer");
  return (responses(watched, base, "status").at(-1)?.data ?? {}) as Record<string, unknown>;
}
