import { describe, expect, it } from "vitest";
import { brokerPerFile } from "../../app/testing/broker-per-file.js";
import {
  exampleGate,
  nowStep,
  phoneToken,
  putCredentials,
  runGate,
  SITE,
  staffToken,
  studentToken,
  watchTopics,
} from "../../app/testing/mqtt-gate-fixture.js";
import type { Config } from "../../config/schema.js";
import { openDatabase } from "../../platform/database/database.js";
import { TurnstileEmulator } from "../../sim/devices/turnstile-emulator.js";
import { registryCredential } from "../allowlist/testing/test-bodies.js";
import { Journal } from "../journal/journal.js";
import { waitUntil } from "../mqtt/testing/mosquitto.js";
import { guardianNoticeSchema } from "../mqtt/topics.js";
import { NonceWindow } from "../trust/nonce-window.js";
import { Roster } from "../trust/roster.js";
import { verifyMessage } from "../trust/signed-message.js";

const broker = brokerPerFile();

async function sensedGate(gate: string) {
  const sensorTopic = `stat/ts-${gate}/SWITCH1`;
  const { config, member } = await exampleGate({
    gate,
    mqtt: {
      url: broker.url,
      passage: [{ reader: "in", topic: sensorTopic, payload: "ON", timeout: "800ms" }],
      fireAlarm: { topic: `fire/${gate}/alarm` },
      siteShare: false,
    },
    policy: { rules: [{ name: "everyone", roles: ["staff", "student"] }], antiPassback: { mode: "hard" } },
  });
  const turnstile = new TurnstileEmulator(sensorTopic);
  await turnstile.start(broker.url);
  const watched = await watchTopics(broker.url, `passgate/${SITE}/#`);
  const running = await runGate(config);
  const base = `passgate/${SITE}/${gate}`;
  const events = () => watched.json(`${base}/event`);
  const decisions = () => events().filter((e) => e.type === "decision");
  const stop = async () => {
    await running.stop();
    await turnstile.stop();
    await watched.client.endAsync();
  };
  return { config, member, turnstile, watched, running, events, decisions, stop, base };
}

describe("passage confirmation", () => {
  it("passed moves anti-passback and notifies guardians; not_passed moves nothing; a rotation with no grant is an alarm", async () => {
    const g = await sensedGate("p-1");
    try {
      const step = nowStep();
      g.running.scan(studentToken(step));
      await waitUntil(() => g.decisions().length === 1, "the student's decision");
      expect(g.decisions()[0]).toMatchObject({ result: "granted", reason: "ok" });
      await g.turnstile.rotate();
      await waitUntil(() => g.events().some((e) => e.type === "passage"), "the passage");
      expect(g.events().find((e) => e.type === "passage")).toMatchObject({
        result: "passed",
        person: "p-2001",
      });
      await waitUntil(() => g.watched.json(`passgate/${SITE}/notify`).length === 1, "the guardian notice");
      // Signed by the gate, bound to the notify topic, verifiable with its public key alone.
      const notify = `passgate/${SITE}/notify`;
      const raw = g.watched.messages.find((m) => m.topic === notify)?.text ?? "";
      const verdict = verifyMessage(notify, raw, {
        roster: new Roster([g.member]),
        kinds: ["gate"],
        now: Date.now(),
        nonces: new NonceWindow(60_000),
      });
      expect(verdict.ok).toBe(true);
      const body = verdict.ok ? guardianNoticeSchema.parse(verdict.body) : undefined;
      const grantId = g.decisions()[0]?.id;
      expect(body).toEqual({
        id: grantId,
        person: "p-2001",
        credential: "2001",
        gate: "p-1",
        direction: "in",
        at: expect.any(Number),
        guardians: ["p-0077"],
      });
      // The same message moved to another topic does not verify.
      expect(
        verifyMessage(`passgate/${SITE}/other/notify`, raw, {
          roster: new Roster([g.member]),
          kinds: ["gate"],
          now: Date.now(),
          nonces: new NonceWindow(60_000),
        }).ok,
      ).toBe(false);

      // Hard anti-passback: the confirmed entry makes a second entry in a row a denial.
      g.running.scan(studentToken(step + 1));
      await waitUntil(() => g.decisions().length === 2, "the second decision");
      expect(g.decisions()[1]).toMatchObject({ result: "denied", reason: "anti_passback" });

      // A grant nobody walks through: not_passed, and the next entry is still allowed.
      g.running.scan(staffToken(step));
      await waitUntil(() => g.events().filter((e) => e.type === "passage").length === 2, "the timeout");
      expect(g.events().filter((e) => e.type === "passage")[1]).toMatchObject({
        result: "not_passed",
        person: "p-0042",
      });
      g.running.scan(staffToken(step + 1));
      await waitUntil(() => g.decisions().length === 4, "the staff member's second scan");
      expect(g.decisions()[3]).toMatchObject({ result: "granted", reason: "ok" });
      await waitUntil(() => g.events().filter((e) => e.type === "passage").length === 3, "its timeout");

      // A rotation with no grant waiting, and a payload that is not a rotation.
      await g.turnstile.send("OFF");
      await g.turnstile.rotate();
      await waitUntil(() => g.events().some((e) => e.type === "alarm"), "the alarm");
      expect(g.events().filter((e) => e.type === "alarm")).toEqual([
        expect.objectContaining({ result: "forced_passage", reader: "in", direction: "in" }),
      ]);
      // Only the student's passed entry notified guardians (staff credential 42 has none).
      expect(g.watched.json(`passgate/${SITE}/notify`)).toHaveLength(1);
    } finally {
      await g.stop();
    }
    const db = openDatabase(g.config.storage.path);
    const entries = Journal.open(db).tail(100);
    db.close();
    expect(entries.filter((e) => e.kind !== "decision").map((e) => `${e.kind}:${e.reason}`)).toEqual([
      "passage:passed",
      "passage:not_passed",
      "passage:not_passed",
      "alarm:forced_passage",
    ]);
  }, 30_000);

  it("a guardian notice needs the gate's key and guardians; it carries the credential's name", async () => {
    const step = nowStep();
    const notify = `passgate/${SITE}/notify`;
    /** Scans, then asks for the status: whatever the gate published for the scans is in by the answer. */
    const scanAll = async (gate: string, tokens: readonly string[]) => {
      const watched = await watchTopics(broker.url, `passgate/${SITE}/#`);
      const running = await runGate(gateConfigs.get(gate) as Config);
      try {
        for (const t of tokens) running.scan(t);
        const base = `passgate/${SITE}/${gate}`;
        await waitUntil(
          () => watched.json(`${base}/event`).filter((e) => e.type === "decision").length === tokens.length,
          "the decisions",
        );
        await watched.client.publishAsync(`${base}/request/status`, "");
        await waitUntil(() => watched.json(`${base}/response/status`).length === 1, "the status answer");
        return watched.json(notify);
      } finally {
        await running.stop();
        await watched.client.endAsync();
      }
    };
    const gateConfigs = new Map<string, Config>();
    // Without a key: the student's passage (guardians, notifyGuardians) sends nothing.
    const keyless = await exampleGate({
      gate: "n-1",
      mqtt: { url: broker.url, siteShare: false },
      trust: {},
    });
    gateConfigs.set("n-1", keyless.config);
    expect(await scanAll("n-1", [studentToken(step)])).toEqual([]);

    // With a key: a credential asking for notices but naming no guardians sends nothing either.
    const keyed = await exampleGate({ gate: "n-2", mqtt: { url: broker.url, siteShare: false } });
    gateConfigs.set("n-2", keyed.config);
    await putCredentials(keyed.config, [
      registryCredential(3001, { notifyGuardians: true, guardians: [] }),
      // Sixteen guardians with ids at their 200-character bound, in Cyrillic: the signed notice
      // would be larger than a notifier reads (4 KiB), so none is sent.
      registryCredential(3003, {
        notifyGuardians: true,
        guardians: Array.from(
          { length: 16 },
          (_, i) => `${String.fromCharCode(0x430 + i)}${"г".repeat(199)}`,
        ),
      }),
      registryCredential(3002, {
        notifyGuardians: true,
        guardians: ["p-1", "p-2"],
        displayName: "Маша\u0007 Иванова",
      }),
    ]);
    const notices = await scanAll("n-2", [
      phoneToken("3001", step),
      phoneToken("3003", step),
      phoneToken("3002", step),
    ]);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.signer).toBe("gate:n-2");
    expect(notices[0]?.body).toMatchObject({
      person: "p-3002",
      credential: "3002",
      gate: "n-2",
      name: "Маша Иванова",
      guardians: ["p-1", "p-2"],
    });
  }, 30_000);

  it("the fire-alarm input sets free passage and its end restores normal; both journaled", async () => {
    const g = await sensedGate("p-2");
    try {
      await waitUntil(() => g.running.daemon.gate.currentMode() === "normal", "the gate");
      await waitUntil(() => g.watched.json(`${g.base}/state`).length > 0, "the state");
      await g.watched.client.publishAsync(`fire/p-2/alarm`, "ON");
      await waitUntil(() => g.running.daemon.gate.currentMode() === "free", "free passage");
      g.running.scan("PG1:not a token at all");
      await waitUntil(() => g.decisions().length === 1, "the decision");
      expect(g.decisions()[0]).toMatchObject({
        result: "granted",
        reason: "free_passage",
        flags: ["unverified"],
      });
      await g.watched.client.publishAsync(`fire/p-2/alarm`, "OFF");
      await waitUntil(() => g.running.daemon.gate.currentMode() === "normal", "normal again");
      // The retained state goes out over the broker: wait for it to arrive here too.
      await waitUntil(() => g.watched.json(`${g.base}/state`).at(-1)?.mode === "normal", "the normal state");
      const states = g.watched.json(`${g.base}/state`);
      expect(states.map((s) => s.mode)).toContain("free");
      expect(states[states.length - 1]).toMatchObject({ mode: "normal", modeSource: "fire-alarm" });
    } finally {
      await g.stop();
    }
    const db = openDatabase(g.config.storage.path);
    const modes = Journal.open(db)
      .tail(100)
      .filter((e) => e.kind === "mode");
    db.close();
    expect(modes.map((e) => [e.reason, e.data.source])).toEqual([
      ["free", "fire-alarm"],
      ["normal", "fire-alarm"],
    ]);
  }, 30_000);
});
