import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../platform/log/logger.js";
import { FakeClock } from "../../platform/testing/fake-clock.js";
import { FakeMqttConnection } from "../mqtt/testing/fake-mqtt-connection.js";
import { waitUntil } from "../mqtt/testing/mosquitto.js";
import { gateTopics } from "../mqtt/topics.js";
import { OffThreadVerifier } from "../trust/off-thread-verifier.js";
import type { OwnSigner } from "../trust/site-trust.js";
import { testGateMember, testSiteTrust } from "../trust/testing/test-members.js";
import { ZoneHearing } from "./zone-hearing.js";

const PARTITION_AFTER = 5_000;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

const A = testGateMember("gate-a");
const B = testGateMember("gate-b");
const C = testGateMember("gate-c");
const LAB = testGateMember("gate-lab");
const members = [A.member, B.member, C.member, LAB.member];

/** gate-a's hearing of zone `campus` over a fake broker link, on a fake clock, with a real verifier thread. */
function hearing(options: { listen?: boolean; acceptUnsigned?: boolean; keyless?: boolean } = {}) {
  const fake = new FakeMqttConnection(true);
  const clock = new FakeClock(1_764_000_000_000);
  const topics = gateTopics({ prefix: "passgate", site: "s", gate: "gate-a" });
  const trust = testSiteTrust({
    members,
    ...(options.keyless === true ? {} : { signer: A.signer }),
    clock,
    acceptUnsigned: options.acceptUnsigned ?? false,
  });
  const verifier = new OffThreadVerifier({});
  verifier.start();
  const zone = new ZoneHearing(fake.connection, topics, {
    gate: "gate-a",
    zone: "campus",
    speak: true,
    listen: options.listen ?? true,
    partitionAfterMs: PARTITION_AFTER,
    clockToleranceMs: 120_000,
    trust,
    verifier,
    clock,
    logger: createLogger({ level: "silent" }),
  });
  zone.start();
  stops.push(async () => {
    await zone.stop();
    await verifier.stop();
  });
  /** `signer` says `body` on `gate`'s alive topic, as the broker would deliver it. */
  const alive = (signer: OwnSigner, body: Record<string, unknown>, gate = String(body.gate)) => {
    const topic = `passgate/s/shared/${gate}/alive`;
    const signed = testSiteTrust({ members, signer, clock }).sign(topic, body);
    fake.deliver(topic, JSON.parse(signed ?? "{}"));
  };
  const heardGates = () => zone.heard().map((h) => h.gate);
  return { fake, clock, topics, trust, zone, alive, heardGates };
}

describe("ZoneHearing", () => {
  it("says this gate is alive, signed, on its own topic", () => {
    const { fake, topics } = hearing();
    const sent = fake.sent.filter((s) => s.topic === topics.sharedAlive);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.payload).toMatchObject({
      signer: "gate:gate-a",
      body: { gate: "gate-a", zone: "campus" },
    });
  });

  it("hears its zone only once a gate of it was heard, and each within partitionAfter", async () => {
    const { clock, zone, alive, heardGates } = hearing();
    expect(zone.hears()).toBe(false);
    alive(B.signer, { gate: "gate-b", zone: "campus" });
    await waitUntil(() => zone.hears(), "gate-b heard");
    alive(C.signer, { gate: "gate-c", zone: "campus" });
    await waitUntil(() => heardGates().includes("gate-c"), "gate-c heard");

    clock.advance(PARTITION_AFTER);
    expect(zone.hears()).toBe(true);
    clock.advance(1);
    expect(zone.hears()).toBe(false);
    // gate-b speaks again, gate-c stays silent: one silent gate of the zone is a partition.
    alive(B.signer, { gate: "gate-b", zone: "campus" });
    await waitUntil(() => zone.heard().find((h) => h.gate === "gate-b")?.silentMs === 0, "gate-b again");
    expect(zone.hears()).toBe(false);
  });

  it("no longer waits for a gate whose status went offline, nor for one that moved to another zone", async () => {
    const { fake, clock, zone, alive, heardGates } = hearing();
    alive(B.signer, { gate: "gate-b", zone: "campus" });
    alive(C.signer, { gate: "gate-c", zone: "campus" });
    await waitUntil(() => heardGates().length === 2, "both heard");
    clock.advance(PARTITION_AFTER + 1);
    alive(B.signer, { gate: "gate-b", zone: "campus" });
    await waitUntil(() => zone.heard().find((h) => h.gate === "gate-b")?.silentMs === 0, "gate-b again");
    expect(zone.hears()).toBe(false);

    // An `online` changes nothing; an `offline` (a clean stop or the broker's will) does.
    fake.deliverRaw("passgate/s/gate-c/status", "online");
    expect(zone.hears()).toBe(false);
    fake.deliverRaw("passgate/s/gate-c/status", "offline");
    expect(heardGates()).toEqual(["gate-b"]);
    expect(zone.hears()).toBe(true);

    alive(B.signer, { gate: "gate-b", zone: "lab" });
    await waitUntil(() => heardGates().length === 0, "gate-b gone to the lab");
    expect(zone.hears()).toBe(false);
  });

  it("counts no gate of another zone, and refuses a gate speaking for another", async () => {
    const { zone, alive, heardGates, trust } = hearing();
    alive(LAB.signer, { gate: "gate-lab", zone: "lab" });
    // gate-b signs gate-c's alive on gate-c's topic, then on its own topic: both refused.
    alive(B.signer, { gate: "gate-c", zone: "campus" });
    alive(B.signer, { gate: "gate-c", zone: "campus" }, "gate-b");
    await waitUntil(
      () => (trust.refusals().get("zone-alive:not_authorized") ?? 0) === 2,
      "the impersonations refused",
    );
    // A good one after them shows the others were looked at first.
    alive(C.signer, { gate: "gate-c", zone: "campus" });
    await waitUntil(() => zone.hears(), "gate-c heard");
    expect(heardGates()).toEqual(["gate-c"]);
  });

  it("refuses an alive with a bad signature or an unknown signer, and never hears while the broker is away", async () => {
    const { fake, zone, alive, trust } = hearing();
    alive(testGateMember("gate-b").signer, { gate: "gate-b", zone: "campus" });
    alive(testGateMember("gate-x").signer, { gate: "gate-x", zone: "campus" });
    await waitUntil(() => trust.refusals().size === 2, "both refused");
    expect([...trust.refusals().keys()].sort()).toEqual([
      "zone-alive:bad_signature",
      "zone-alive:unknown_signer",
    ]);
    expect(zone.hears()).toBe(false);

    alive(B.signer, { gate: "gate-b", zone: "campus" });
    await waitUntil(() => zone.hears(), "gate-b heard");
    fake.setUp(false);
    expect(zone.hears()).toBe(false);
    fake.setUp(true);
    expect(zone.hears()).toBe(true);
  });

  it("speaks and hears unsigned only while the site migrates to keys (trust.acceptUnsigned)", async () => {
    const migrating = hearing({ acceptUnsigned: true, keyless: true });
    expect(migrating.fake.sent.filter((s) => s.topic === migrating.topics.sharedAlive)[0]?.payload).toEqual({
      gate: "gate-a",
      zone: "campus",
    });
    migrating.fake.deliver("passgate/s/shared/gate-b/alive", { gate: "gate-b", zone: "campus" });
    await waitUntil(() => migrating.zone.hears(), "an unsigned alive taken");

    const strict = hearing({ keyless: true });
    expect(strict.fake.sent).toEqual([]);
    strict.fake.deliver("passgate/s/shared/gate-b/alive", { gate: "gate-b", zone: "campus" });
    await waitUntil(() => strict.trust.refusals().get("zone-alive:unsigned") === 1, "the unsigned refused");
    expect(strict.zone.hears()).toBe(false);
  });

  it("a gate that does not listen subscribes to nothing and is never asked to deny", () => {
    const { fake, zone } = hearing({ listen: false });
    fake.deliverRaw("passgate/s/gate-b/status", "offline");
    expect(zone.hears()).toBe(true);
    expect(zone.heard()).toEqual([]);
  });
});
