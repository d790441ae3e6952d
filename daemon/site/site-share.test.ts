import { describe, expect, it } from "vitest";
import { brokerPerFile } from "../../app/testing/broker-per-file.js";
import {
  exampleGate,
  nowStep,
  runGate,
  SITE,
  staffToken,
  studentToken,
  token1001,
  trustMembers,
  watchTopics,
} from "../../app/testing/mqtt-gate-fixture.js";
import { systemClock } from "../../platform/clock.js";
import { openDatabase } from "../../platform/database/database.js";
import { rememberJournaledGrants } from "../gate/replay-rebuild.js";
import { Journal } from "../journal/journal.js";
import { waitUntil } from "../mqtt/testing/mosquitto.js";
import { migrateGateState } from "../state/gate-state-schema.js";
import { PresenceStore } from "../state/presence-store.js";
import { ReplayGuard } from "../state/replay-guard.js";
import { testGateMember, testSiteTrust } from "../trust/testing/test-members.js";

const broker = brokerPerFile();

/** A gate's config and key; the site roster (both gates and the probe) is added before it starts. */
function prepareGate(gate: string) {
  return exampleGate({
    gate,
    mqtt: { url: broker.url, reconnectMin: "100ms", reconnectMax: "300ms" },
    policy: { rules: [{ name: "everyone", roles: ["staff", "student"] }], antiPassback: { mode: "hard" } },
  });
}

async function siteGate({ config, member }: Awaited<ReturnType<typeof prepareGate>>) {
  const running = await runGate(config);
  // A second connection to the gate's database, to see what it learned from the site.
  const db = openDatabase(config.storage.path);
  migrateGateState(db);
  const journal = Journal.open(db);
  // What the gate would know on a restart now: the shared pairs of the replay table and its
  // own grants from the journal (a grant writes no replay row).
  const seen = (credential: string, step: number) => {
    const guard = new ReplayGuard(db);
    rememberJournaledGrants(journal, guard, { get: () => undefined }, { now: Date.now(), window: 1 });
    return guard.seen(credential, step);
  };
  return {
    config,
    member,
    running,
    replay: { seen },
    // A fresh store each time: a store keeps the rows it read (only the gate's own store writes).
    presence: { last: (person: string, zone: string) => new PresenceStore(db).last(person, zone) },
    close: () => db.close(),
  };
}

/**
 * Resolves once every gate hears the site's shared topics: a probe pair published from
 * outside reaches each. A gate's start does not wait for the broker's SUBACK, so without
 * this the first scan could be shared before the other gate's subscription is in place.
 */
async function siteListening(
  client: { publishAsync(topic: string, payload: string): Promise<unknown> },
  gates: readonly { replay: Pick<ReplayGuard, "seen"> }[],
): Promise<void> {
  // Credential 1002 (suspended) is in the allowlist and no scan here uses it.
  const probe = { gate: "probe", credential: "1002", step: nowStep(), expiresAt: Date.now() + 60_000 };
  const heard = () => gates.every((g) => g.replay.seen(probe.credential, probe.step));
  const signer = testSiteTrust({ members: [], signer: PROBE.signer, clock: systemClock });
  const topic = `passgate/${SITE}/shared/probe/replay`;
  const deadline = Date.now() + 10_000;
  while (!heard()) {
    if (Date.now() > deadline) throw new Error("the gates never heard the site's shared topics");
    await client.publishAsync(topic, signer.sign(topic, probe) ?? "");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A member that only probes whether the gates listen. */
const PROBE = testGateMember("probe");

describe("site-wide state between two gates", () => {
  it("a token used at gate A is refused at gate B; anti-passback holds across them; an outage is caught up", async () => {
    const watched = await watchTopics(broker.url, `passgate/${SITE}/+/event`);
    const decisionsAt = (gate: string) =>
      watched.json(`passgate/${SITE}/${gate}/event`).filter((e) => e.type === "decision");
    const gateA = await prepareGate("gate-a");
    const gateB = await prepareGate("gate-b");
    for (const g of [gateA, gateB]) trustMembers(g.config, [gateA.member, gateB.member, PROBE.member]);
    const a = await siteGate(gateA);
    const b = await siteGate(gateB);
    try {
      await siteListening(watched.client, [a, b]);
      const step = nowStep();
      a.running.scan(staffToken(step));
      await waitUntil(() => b.replay.seen("42", step), "gate B to learn the pair");
      b.running.scan(staffToken(step));
      await waitUntil(() => decisionsAt("gate-b").length === 1, "gate B's decision");
      expect(decisionsAt("gate-a")[0]).toMatchObject({ result: "granted", reason: "ok" });
      expect(decisionsAt("gate-b")[0]).toMatchObject({ result: "denied", reason: "replayed" });

      a.running.scan(studentToken(step));
      await waitUntil(
        () => b.presence.last("p-2001", "campus")?.direction === "in",
        "gate B to learn the passage",
      );
      b.running.scan(studentToken(step + 1));
      await waitUntil(() => decisionsAt("gate-b").length === 2, "gate B's second decision");
      expect(decisionsAt("gate-b")[1]).toMatchObject({ result: "denied", reason: "anti_passback" });

      // The broker goes away: gate A keeps deciding, and gate B learns once it is back.
      await broker.mosquitto.down();
      a.running.scan(token1001(step));
      await waitUntil(() => a.replay.seen("1001", step), "gate A to grant offline");
      expect(b.replay.seen("1001", step)).toBe(false);
      await broker.mosquitto.up();
      // Caught up on reconnect, and again 2, 10 and 30 s later for a gate that came back later
      // than the sender (docs/mqtt.md): on a loaded machine the last of those may be the one.
      await waitUntil(() => b.replay.seen("1001", step), "gate B to catch up", 35_000);
      await waitUntil(() => watched.client.connected, "the watcher to reconnect", 15_000);
      await watched.client.subscribeAsync(`passgate/${SITE}/+/event`);
      b.running.scan(token1001(step));
      await waitUntil(() => decisionsAt("gate-b").length === 3, "gate B's third decision", 15_000);
      expect(decisionsAt("gate-b")[2]).toMatchObject({ result: "denied", reason: "replayed" });
    } finally {
      await a.running.stop();
      await b.running.stop();
      a.close();
      b.close();
      await watched.client.endAsync();
    }
  }, 90_000);
});
