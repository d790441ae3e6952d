import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Journal } from "../daemon/journal/journal.js";
import { TestMosquitto, waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { genericOpenCommandSchema } from "../daemon/mqtt/topics.js";
import { openDatabase } from "../platform/database/database.js";
import { GenericRelayEmulator } from "../sim/devices/generic-relay-emulator.js";
import { exampleGate, nowStep, runGate, SITE, staffToken, watchTopics } from "./testing/mqtt-gate-fixture.js";

let broker: TestMosquitto;
beforeAll(async () => {
  broker = await TestMosquitto.start({ config: ["allow_anonymous true", "set_tcp_nodelay true"] });
});
afterAll(async () => {
  await broker.close();
});
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("what a grant puts on the wire, in order", () => {
  it("the open command carries the id of the decision already journaled, and leaves before the gate's event and the reader's feedback", async () => {
    const gate = "order-1";
    const { config } = await exampleGate({
      gate,
      mqtt: { url: broker.url, siteShare: false },
      relays: [
        { id: "turnstile", reader: "in", driver: { type: "generic", device: "order-board" }, pulse: "1s" },
      ],
    });
    const board = new GenericRelayEmulator("order-board");
    await board.start(broker.url);
    cleanups.push(() => board.stop());
    // One subscriber for both: the broker forwards one client's messages to it in the order sent.
    const watched = await watchTopics(broker.url, "#");
    cleanups.push(() => watched.client.endAsync());
    const running = await runGate(config);
    cleanups.push(() => running.stop());
    const eventTopic = `passgate/${SITE}/${gate}/event`;
    const feedbackTopic = `passgate/${SITE}/${gate}/reader/in/feedback`;
    const commandTopic = "pgrelay/order-board/1/open";
    const stateTopic = `passgate/${SITE}/${gate}/state`;
    // Until the board's availability has arrived a grant is denied relay_offline.
    await waitUntil(
      () =>
        watched
          .json(stateTopic)
          .some((s) => (s.relays as Record<string, boolean> | undefined)?.turnstile === true),
      "the board online in the gate's state",
    );

    const step = nowStep();
    for (const s of [step, step + 1, step + 2]) running.scan(staffToken(s));
    // The first is granted; the next two steps are new codes of the same person, granted too
    // unless the policy says otherwise: wait for three decisions, whatever they were.
    const ofThisGate = () =>
      watched.messages.filter(
        (m) => m.topic === commandTopic || m.topic === eventTopic || m.topic === feedbackTopic,
      );
    await waitUntil(
      () => ofThisGate().filter((m) => m.topic === feedbackTopic).length === 3,
      "three decisions' feedback",
    );
    await waitUntil(() => board.opens.length >= 1, "the board to open");

    const journal = (() => {
      const db = openDatabase(config.storage.path);
      try {
        return Journal.open(db).tail(100);
      } finally {
        db.close();
      }
    })();
    const messages = ofThisGate();
    const commands = messages.filter((m) => m.topic === commandTopic);
    expect(commands.length).toBeGreaterThanOrEqual(1);
    for (const command of commands) {
      const { id } = genericOpenCommandSchema.parse(JSON.parse(command.text));
      // Only the journal gives out this id: the command was built from the committed entry.
      const entry = journal.find((e) => e.id === id);
      expect(entry).toMatchObject({ kind: "decision", result: "granted", reader: "in" });
      const at = messages.indexOf(command);
      const event = messages.findIndex(
        (m) => m.topic === eventTopic && (JSON.parse(m.text) as { id?: string; type?: string }).id === id,
      );
      const feedback = messages.findIndex((m, i) => i > at && m.topic === feedbackTopic);
      // The person waits at the arm: the open leaves first, the decision's event and feedback after.
      expect(event).toBeGreaterThan(at);
      expect(feedback).toBeGreaterThan(event);
    }
    // Every grant opened, and nothing opened that was not a grant.
    const grants = journal.filter((e) => e.kind === "decision" && e.result === "granted");
    expect(commands).toHaveLength(grants.length);
  });
});
