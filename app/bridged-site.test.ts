/**
 * A site on two brokers: a core mosquitto and a building's mosquitto bridged to it (the
 * `connection` of docs/scale.md, on the site's shared topics and the gates' statuses)
 * through a link the test cuts. gate-1 is on the core broker; gate-2 and gate-3 on the
 * building's, all three in zone `campus` with hard anti-passback. gate-1 and gate-2 are
 * fail-closed during a partition, gate-3 fail-open.
 */
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
      antiPassback: { mode: "hard", partition, partitionAfter: "5s" },
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
    replay: new ReplayGuard(db),
    /** How many times the gate logged a line starting with `text`. */
    logged: (text: string) => lines.filter((l) => l.msg?.startsWith(text) === true).length,
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
      await waitUntil(
        () => g1.logged(HEARS) > 0 && g2.logged(HEARS) > 0,
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
      const [cut1, cut2] = [g1.logged(CUT_OFF), g2.logged(CUT_OFF)];
      await brokers.link.cut();
      await waitUntil(() => g2.logged(CUT_OFF) > cut2, "gate-2 to find its zone cut off", 30_000);
      await waitUntil(() => g1.logged(CUT_OFF) > cut1, "gate-1 to find its zone cut off", 30_000);
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
      const [heard1, heard2] = [g1.logged(HEARS), g2.logged(HEARS)];
      await brokers.link.restore();
      await waitUntil(
        () => g1.replay.seen("1001", step),
        "gate-1 to learn gate-3's grant after the partition",
        30_000,
      );
      await waitUntil(() => g2.logged(HEARS) > heard2, "gate-2 to hear its zone again", 30_000);
      await waitUntil(() => g1.logged(HEARS) > heard1, "gate-1 to hear its zone again", 30_000);
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
