/**
 * A site on two brokers: a core mosquitto and a building's mosquitto bridged to it (the
 * `connection` of docs/scale.md, on the site's shared topics and the gates' statuses)
 * through a link the test cuts. gate-1 is on the core broker; gate-2 and gate-3 on the
 * building's, all three in zone `campus` with hard anti-passback. gate-1 and gate-2 are
 * fail-closed during a partition, gate-3 fail-open. `partitionAfter` is 8 s: a gate on this
 * loaded machine may be starved of its CPU for seconds, and a wait here is for a state, never
 * for a change, so a gate that briefly thought itself cut off before the cut fails nothing.
 */
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../config/schema.js";
import { type BridgedBrokers, startBridgedBrokers } from "../daemon/mqtt/testing/bridged-brokers.js";
import { waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { migrateGateState } from "../daemon/state/gate-state-schema.js";
import { ReplayGuard } from "../daemon/state/replay-guard.js";
import { testGateMember, testSiteTrust } from "../daemon/trust/testing/test-members.js";
import { systemClock } from "../platform/clock.js";
import { openDatabase } from "../platform/database/database.js";
import { createLogger } from "../platform/log/logger.js";
import {
  exampleGate,
  nowStep,
  runGate,
  SITE,
  staffToken,
  studentToken,
  token1001,
  trustMembers,
  type Watched,
  watchTopics,
} from "./testing/mqtt-gate-fixture.js";

/** A member that only probes whether the gates hear the site's shared topics. */
const PROBE = testGateMember("probe");
const HEARS = "this gate hears its zone";
const CUT_OFF = "this gate cannot hear its zone";

let brokers: BridgedBrokers;
beforeAll(async () => {
  brokers = await startBridgedBrokers([`passgate/${SITE}/shared/#`, `passgate/${SITE}/+/status`]);
});
afterAll(async () => {
  await brokers.close();
});

function prepareGate(gate: string, url: string, partition: "open" | "closed") {
  return exampleGate({
    gate,
    mqtt: { url, reconnectMin: "100ms", reconnectMax: "300ms" },
    policy: {
      rules: [{ name: "everyone", roles: ["staff", "student"] }],
      antiPassback: { mode: "hard", partition, partitionAfter: "8s" },
    },
  });
}

/** A running gate, what it logged (parsed lines), and a second look at its replay state. */
async function siteGate({ config }: Awaited<ReturnType<typeof prepareGate>>) {
  const lines: { msg?: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n"))
        if (line.trim() !== "") lines.push(JSON.parse(line) as { msg?: string });
      done();
    },
  });
  const running = await runGate(config, { logger: createLogger({ level: "info", destination }) });
  const db = openDatabase(config.storage.path);
  migrateGateState(db);
  return {
    running,
    // A guard reads the pairs other gates shared when it is made: a new one per look.
    replay: { seen: (credential: string, step: number) => new ReplayGuard(db).seen(credential, step) },
    /** What the gate last said of its zone: it hears it, or it is cut off from it. */
    zone: () =>
      lines
        .map((l) => (l.msg?.startsWith(HEARS) ? "hears" : l.msg?.startsWith(CUT_OFF) ? "cut off" : undefined))
        .filter((z) => z !== undefined)
        .at(-1),
    close: () => db.close(),
  };
}
type SiteGate = Awaited<ReturnType<typeof siteGate>>;

/** Until a probe pair published on the core broker reached every gate: subscriptions and the bridge are up. */
async function siteListening(watched: Watched, gates: readonly SiteGate[]): Promise<void> {
  // Credential 1002 (suspended) is in the allowlist and no scan here uses it.
  const probe = { gate: "probe", credential: "1002", step: nowStep(), expiresAt: Date.now() + 60_000 };
  const signer = testSiteTrust({ members: [], signer: PROBE.signer, clock: systemClock });
  const topic = `passgate/${SITE}/shared/probe/replay`;
  const deadline = Date.now() + 30_000;
  while (!gates.every((g) => g.replay.seen(probe.credential, probe.step))) {
    if (Date.now() > deadline) throw new Error("the gates never heard the site across the bridge");
    await watched.client.publishAsync(topic, signer.sign(topic, probe) ?? "");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("a site on two bridged brokers", () => {
  it("shares codes across the bridge; during a partition fail-closed denies, fail-open decides locally; the records cross again after", async () => {
    const core = await watchTopics(brokers.core.url, `passgate/${SITE}/+/event`);
    const building = await watchTopics(brokers.building.url, `passgate/${SITE}/+/event`);
    const decisions = (gate: string) =>
      (gate === "gate-1" ? core : building)
        .json(`passgate/${SITE}/${gate}/event`)
        .filter((e) => e.type === "decision");
    /** The decision `gate` publishes next after the `seen` it had. */
    const next = async (gate: string, seen: number) => {
      await waitUntil(() => decisions(gate).length > seen, `${gate}'s decision`, 20_000);
      return decisions(gate)[seen];
    };
    const c1 = await prepareGate("gate-1", brokers.core.url, "closed");
    const c2 = await prepareGate("gate-2", brokers.building.url, "closed");
    const c3 = await prepareGate("gate-3", brokers.building.url, "open");
    for (const c of [c1, c2, c3]) trustMembers(c.config, [c1.member, c2.member, c3.member, PROBE.member]);
    const g1 = await siteGate(c1);
    const g2 = await siteGate(c2);
    const g3 = await siteGate(c3);
    try {
      await siteListening(core, [g1, g2, g3]);
      // Each fail-closed gate waits only for the zone gates it has heard: before the cut, gate-1's
      // alive must have crossed to the building and gate-2's to the core, or neither would miss the other.
      const aliveOf = (gate: string) => `passgate/${SITE}/shared/${gate}/alive`;
      const coreAlive = await watchTopics(brokers.core.url, aliveOf("gate-2"));
      const buildingAlive = await watchTopics(brokers.building.url, aliveOf("gate-1"));
      try {
        await waitUntil(
          () => coreAlive.messages.length > 0 && buildingAlive.messages.length > 0,
          "gate-1 and gate-2 to hear each other across the bridge",
          30_000,
        );
      } finally {
        await coreAlive.client.endAsync();
        await buildingAlive.client.endAsync();
      }
      await waitUntil(
        () => g1.zone() === "hears" && g2.zone() === "hears",
        "gates 1 and 2 to hear their zone",
        30_000,
      );

      // A screenshot: the code granted at gate-1 (core broker) is refused at gate-2 (building broker).
      const step = nowStep();
      g1.running.scan(staffToken(step));
      expect(await next("gate-1", 0)).toMatchObject({ result: "granted", reason: "ok" });
      await waitUntil(() => g2.replay.seen("42", step), "gate-2 to learn the pair across the bridge", 20_000);
      g2.running.scan(staffToken(step));
      expect(await next("gate-2", 0)).toMatchObject({ result: "denied", reason: "replayed" });

      // The partition: the link between the buildings is cut, both brokers and every gate run on.
      // Once cut, nothing crosses: each fail-closed gate finds itself cut off and stays so.
      await brokers.link.cut();
      await waitUntil(() => g2.zone() === "cut off", "gate-2 to find its zone cut off", 40_000);
      await waitUntil(() => g1.zone() === "cut off", "gate-1 to find its zone cut off", 40_000);
      // gate-2 still hears gate-3 on its own broker: gate-1's silence is enough.
      g2.running.scan(token1001(step));
      expect(await next("gate-2", 1)).toMatchObject({ result: "denied", reason: "anti_passback_partition" });
      g1.running.scan(studentToken(step));
      expect(await next("gate-1", 1)).toMatchObject({ result: "denied", reason: "anti_passback_partition" });
      // Fail-open decides on what it knows: nobody told gate-3 of a passage of 1001's person.
      g3.running.scan(token1001(step));
      expect(await next("gate-3", 0)).toMatchObject({ result: "granted", reason: "ok" });
      // Journaled and counted under their own reason.
      expect(g2.running.daemon.gate.decisionCounts().get("denied:anti_passback_partition")).toBe(1);
      expect(g1.running.daemon.gate.decisionCounts().get("denied:anti_passback_partition")).toBe(1);
      expect(g1.replay.seen("1001", step)).toBe(false);

      // The link is back: what gate-3 shared meanwhile crosses (the bridge kept it), and the
      // fail-closed gates hear their zone again and decide as usual.
      await brokers.link.restore();
      await waitUntil(
        () => g1.replay.seen("1001", step),
        "gate-1 to learn gate-3's grant after the partition",
        30_000,
      );
      await waitUntil(() => g2.zone() === "hears", "gate-2 to hear its zone again", 30_000);
      await waitUntil(() => g1.zone() === "hears", "gate-1 to hear its zone again", 30_000);
      g1.running.scan(token1001(step));
      expect(await next("gate-1", 2)).toMatchObject({ result: "denied", reason: "replayed" });
      g2.running.scan(studentToken(step));
      expect(await next("gate-2", 2)).toMatchObject({ result: "granted", reason: "ok" });
      await waitUntil(() => g1.replay.seen("2001", step), "gate-1 to learn gate-2's new grant", 20_000);
    } finally {
      for (const g of [g1, g2, g3]) {
        await g.running.stop();
        g.close();
      }
      await core.client.endAsync();
      await building.client.endAsync();
    }
  }, 240_000);
});

describe("the partition setting reloaded", () => {
  it("a gate made fail-closed by a reload denies while it hears no gate of its zone, and decides again once made fail-open", async () => {
    const watched = await watchTopics(brokers.building.url, `passgate/${SITE}/+/event`);
    const decisions = () =>
      watched.json(`passgate/${SITE}/reload-1/event`).filter((e) => e.type === "decision");
    const prepared = await prepareGate("reload-1", brokers.building.url, "open");
    trustMembers(prepared.config, [prepared.member]);
    const gate = await siteGate(prepared);
    const { policy } = prepared.config;
    const withPartition = (partition: "open" | "closed"): Config => ({
      ...prepared.config,
      policy: { ...policy, antiPassback: { ...policy.antiPassback, partition } },
    });
    try {
      const step = nowStep();
      // Alone in its zone: fail-closed can never hear anyone, so every entry is denied.
      await gate.running.daemon.reload(withPartition("closed"));
      gate.running.scan(staffToken(step));
      await waitUntil(() => decisions().length === 1, "the first decision", 20_000);
      expect(decisions()[0]).toMatchObject({ result: "denied", reason: "anti_passback_partition" });
      await gate.running.daemon.reload(withPartition("open"));
      gate.running.scan(staffToken(step));
      await waitUntil(() => decisions().length === 2, "the second decision", 20_000);
      expect(decisions()[1]).toMatchObject({ result: "granted", reason: "ok" });
    } finally {
      await gate.running.stop();
      gate.close();
      await watched.client.endAsync();
    }
  }, 120_000);
});
