import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openDatabase } from "../../platform/database/database.js";
import { createLogger } from "../../platform/log/logger.js";
import { FakeClock } from "../../platform/testing/fake-clock.js";
import type { Credential } from "../allowlist/credential.js";
import { FakeMqttConnection } from "../mqtt/testing/fake-mqtt-connection.js";
import { gateTopics } from "../mqtt/topics.js";
import { migrateGateState } from "../state/gate-state-schema.js";
import { PresenceStore } from "../state/presence-store.js";
import { ReplayGuard } from "../state/replay-guard.js";
import { testGateMember, testSiteTrust } from "../trust/testing/test-members.js";
import { migrateSiteOutbox, SiteOutbox } from "./site-outbox.js";
import { SiteShare } from "./site-share.js";

const dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const credential = { id: "42", scheme: "totp", totp: { period: 30 } } as unknown as Credential;
const a = testGateMember("gate-a");
const b = testGateMember("gate-b");
const c = testGateMember("gate-c");

/**
 * Gate A's site share, signing with its key, over a broker link that starts down (or `up`),
 * on a fake clock; `dir`: the folder of a gate database to start on again, as after a restart.
 */
function gateA(options: { dir?: string; up?: boolean; clock?: FakeClock } = {}) {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "passgate-site-catch-up-"));
  if (options.dir === undefined) dirs.push(dir);
  const db = openDatabase(join(dir, "gate.db"));
  migrateGateState(db);
  migrateSiteOutbox(db);
  const topics = gateTopics({ prefix: "passgate", site: "s", gate: "gate-a" });
  const fake = new FakeMqttConnection(options.up ?? false);
  const clock = options.clock ?? new FakeClock(1_000_000);
  const trust = testSiteTrust({ members: [a.member, b.member, c.member], signer: a.signer, clock });
  const share = new SiteShare(fake.connection, topics, {
    gate: "gate-a",
    outbox: new SiteOutbox(db),
    replay: new ReplayGuard(db),
    presence: new PresenceStore(db),
    allowlist: { get: () => credential },
    trust,
    window: 1,
    clockToleranceMs: 120_000,
    clock,
    logger: createLogger({ level: "silent" }),
  });
  share.start();
  const link = {
    setUp: (up: boolean) => fake.setUp(up),
    fake,
    // What went out, as the other gates read it: the signed body.
    sent: () =>
      fake.sent.map((s) => ({
        topic: s.topic,
        item: s.payload.body as Record<string, unknown>,
        signer: s.payload.signer,
      })),
  };
  return { dir, db, topics, link, clock, share, trust };
}

describe("SiteShare after a broker outage", () => {
  it("sends what it learned offline on reconnect, and again for gates that come back later", async () => {
    vi.useFakeTimers();
    const { db, topics, link, clock, share } = gateA();

    // Learned while the broker is away: one pair live for 20 s, one for a minute, one passage.
    share.shareReplay("42", 7, clock.now() + 20_000);
    share.shareReplay("43", 7, clock.now() + 60_000);
    share.sharePassage("p-1", "campus", "in", clock.now());
    expect(link.sent()).toEqual([]);

    link.setUp(true);
    const credentials = () =>
      link
        .sent()
        .filter((s) => s.topic === topics.sharedReplay)
        .map((s) => s.item.credential);
    const passages = () => link.sent().filter((s) => s.topic === topics.sharedPassage).length;
    expect(credentials()).toEqual(["42", "43"]);
    // Each goes out signed by gate A.
    expect(new Set(link.sent().map((s) => s.signer))).toEqual(new Set(["gate:gate-a"]));
    expect(passages()).toBe(1);

    // A gate that reconnects a little later still hears it.
    clock.advance(2_000);
    vi.advanceTimersByTime(2_000);
    expect(credentials()).toEqual(["42", "43", "42", "43"]);
    expect(passages()).toBe(2);

    // The pair that has expired by the later repeats is not sent again; the live one is.
    clock.advance(8_000);
    vi.advanceTimersByTime(8_000);
    clock.advance(20_000);
    vi.advanceTimersByTime(20_000);
    expect(credentials()).toEqual(["42", "43", "42", "43", "42", "43", "43"]);
    expect(passages()).toBe(4);

    // Nothing more after the last repeat, nor after the stop.
    vi.advanceTimersByTime(120_000);
    expect(credentials()).toHaveLength(7);
    await share.stop();
    db.close();
  });

  it("catches up a record the broker never acknowledged, sent as it went away", async () => {
    vi.useFakeTimers();
    const { db, topics, link, clock, share } = gateA();
    link.setUp(true);
    share.shareReplay("41", 7, clock.now() + 60_000);
    // The broker dies with the next record on the wire: it is sent, never acknowledged.
    link.fake.holdingAcks = true;
    share.shareReplay("42", 7, clock.now() + 60_000);
    link.setUp(false);
    link.fake.holdingAcks = false;
    const credentials = () =>
      link
        .sent()
        .filter((s) => s.topic === topics.sharedReplay)
        .map((s) => s.item.credential);
    expect(credentials()).toEqual(["41", "42"]);

    // On reconnect the unacknowledged one goes out again, and with the catch-up's repeats;
    // the acknowledged one does not.
    link.setUp(true);
    expect(credentials()).toEqual(["41", "42", "42"]);
    // mqtt.js's own resend of the first send is acknowledged late: the catch-up still repeats.
    link.fake.releaseAcks();
    clock.advance(2_000);
    vi.advanceTimersByTime(2_000);
    expect(credentials()).toEqual(["41", "42", "42", "42"]);

    // Acknowledged now: a later outage sends nothing again.
    link.setUp(false);
    link.setUp(true);
    vi.advanceTimersByTime(30_000);
    expect(credentials().filter((c) => c === "42")).toHaveLength(5);
    await share.stop();
    db.close();
  });

  it("sends nothing again after a stop", async () => {
    vi.useFakeTimers();
    const { db, topics, link, clock, share } = gateA();
    share.shareReplay("42", 7, clock.now() + 60_000);
    link.setUp(true);
    const pairs = () => link.sent().filter((s) => s.topic === topics.sharedReplay);
    expect(pairs()).toHaveLength(1);
    const stopped = share.stop();
    vi.advanceTimersByTime(60_000);
    expect(pairs()).toHaveLength(1);
    await stopped;
    db.close();
  });
});

describe("SiteShare across a restart of the gate", () => {
  it("sends after a restart what the broker had not acknowledged before it, and only that", async () => {
    const before = gateA();
    before.link.setUp(true);
    before.share.shareReplay("41", 7, before.clock.now() + 60_000);
    before.link.setUp(false);
    before.share.shareReplay("42", 7, before.clock.now() + 60_000);
    before.share.sharePassage("p-1", "campus", "in", before.clock.now());
    // Killed: the share never stops, the database is simply left.
    before.db.close();

    const after = gateA({ dir: before.dir, up: true, clock: before.clock });
    const sent = after.link.sent();
    expect(sent.filter((s) => s.topic === after.topics.sharedReplay).map((s) => s.item.credential)).toEqual([
      "42",
    ]);
    expect(sent.filter((s) => s.topic === after.topics.sharedPassage).map((s) => s.item.person)).toEqual([
      "p-1",
    ]);
    // Signed now by gate A, and the site is asked to catch gate A up.
    expect(new Set(sent.map((s) => s.signer))).toEqual(new Set(["gate:gate-a"]));
    expect(sent.filter((s) => s.topic === after.topics.sharedCatchUp).map((s) => s.item)).toEqual([
      { gate: "gate-a" },
    ]);
    await after.share.stop();
    after.db.close();
  });

  it("sends nothing expired after a restart", async () => {
    const before = gateA();
    before.share.shareReplay("42", 7, before.clock.now() + 20_000);
    before.db.close();
    before.clock.advance(20_000);
    const after = gateA({ dir: before.dir, up: true, clock: before.clock });
    expect(after.link.sent().filter((s) => s.topic === after.topics.sharedReplay)).toEqual([]);
    await after.share.stop();
    after.db.close();
  });
});

describe("SiteShare answering another gate's catch-up request", () => {
  const bTopic = gateTopics({ prefix: "passgate", site: "s", gate: "gate-b" }).sharedCatchUp;
  const signedBy = (member: typeof a, clock: FakeClock, topic: string, gate: string) =>
    JSON.parse(testSiteTrust({ members: [], signer: member.signer, clock }).sign(topic, { gate }) ?? "null");

  it("sends its live records again, acknowledged ones too, signed by itself now", async () => {
    vi.useFakeTimers();
    const g = gateA({ up: true });
    g.share.shareReplay("42", 7, g.clock.now() + 60_000);
    g.share.sharePassage("p-1", "campus", "in", g.clock.now());
    g.share.shareReplay("43", 7, g.clock.now() + 1_000);
    g.clock.advance(1_000);
    const count = (topic: string) => g.link.sent().filter((s) => s.topic === topic).length;
    expect(count(g.topics.sharedReplay)).toBe(2);

    g.link.fake.deliver(bTopic, signedBy(b, g.clock, bTopic, "gate-b"));
    await g.share.settled();
    // The answer waits half a second for the requests of others reconnecting with gate B.
    expect(count(g.topics.sharedPassage)).toBe(1);
    vi.advanceTimersByTime(500);
    expect(count(g.topics.sharedPassage)).toBe(2);
    const replays = g.link.sent().filter((s) => s.topic === g.topics.sharedReplay);
    // The expired pair is not in the answer.
    expect(replays.map((s) => s.item.credential)).toEqual(["42", "43", "42"]);
    expect(replays.every((s) => s.signer === "gate:gate-a")).toBe(true);

    // Another request at once is answered once more, but not before 5 s after the last answer.
    g.link.fake.deliver(bTopic, signedBy(b, g.clock, bTopic, "gate-b"));
    await g.share.settled();
    vi.advanceTimersByTime(4_000);
    expect(count(g.topics.sharedPassage)).toBe(2);
    g.clock.advance(5_000);
    vi.advanceTimersByTime(1_000);
    expect(count(g.topics.sharedPassage)).toBe(3);
    await g.share.stop();
    g.db.close();
  });

  it("after an outage asks only for what was shared since its link went down, and is answered so", async () => {
    vi.useFakeTimers();
    const g = gateA({ up: true });
    const requests = () =>
      g.link
        .sent()
        .filter((s) => s.topic === g.topics.sharedCatchUp)
        .map((s) => s.item);
    expect(requests()).toEqual([{ gate: "gate-a" }]);
    const downAt = g.clock.now() + 10_000;
    g.clock.advance(10_000);
    g.link.setUp(false);
    g.clock.advance(60_000);
    g.link.setUp(true);
    expect(requests()).toEqual([{ gate: "gate-a" }, { gate: "gate-a", since: downAt }]);

    // Gate B asks for what was shared since 60 s ago: with the clock tolerance (2 min) the
    // answer reaches 3 min back, which takes in "42" but not "41", learned 200 s ago.
    g.share.shareReplay("41", 7, g.clock.now() + 600_000);
    g.clock.advance(200_000);
    g.share.shareReplay("42", 7, g.clock.now() + 600_000);
    const since = g.clock.now() - 60_000;
    const answer = { gate: "gate-b", since };
    g.link.fake.deliver(
      bTopic,
      JSON.parse(
        testSiteTrust({ members: [], signer: b.signer, clock: g.clock }).sign(bTopic, answer) ?? "null",
      ),
    );
    await g.share.settled();
    vi.advanceTimersByTime(500);
    const pairs = g.link.sent().filter((s) => s.topic === g.topics.sharedReplay);
    expect(pairs.map((s) => s.item.credential)).toEqual(["41", "42", "42"]);
    await g.share.stop();
    g.db.close();
  });

  it("paces a long answer in batches, so the asking gate's verifier keeps up", async () => {
    vi.useFakeTimers();
    const g = gateA({ up: true });
    for (let i = 0; i < 120; i++) g.share.shareReplay(String(1000 + i), 7, g.clock.now() + 60_000);
    const count = () => g.link.sent().filter((s) => s.topic === g.topics.sharedReplay).length;
    g.link.fake.deliver(bTopic, signedBy(b, g.clock, bTopic, "gate-b"));
    await g.share.settled();
    vi.advanceTimersByTime(500);
    expect(count()).toBe(120 + 50);
    vi.advanceTimersByTime(50);
    expect(count()).toBe(120 + 100);
    vi.advanceTimersByTime(50);
    expect(count()).toBe(120 + 120);
    vi.advanceTimersByTime(1_000);
    expect(count()).toBe(120 + 120);
    await g.share.stop();
    g.db.close();
  });

  it("answers nothing unsigned, nor a gate asking in another gate's name, and counts them", async () => {
    vi.useFakeTimers();
    const g = gateA({ up: true });
    g.share.shareReplay("42", 7, g.clock.now() + 60_000);
    g.link.fake.deliver(bTopic, { gate: "gate-b" });
    g.link.fake.deliver(bTopic, signedBy(c, g.clock, bTopic, "gate-b"));
    g.link.fake.deliver(bTopic, signedBy(c, g.clock, bTopic, "gate-c"));
    await g.share.settled();
    expect(Object.fromEntries(g.trust.refusals())).toEqual({
      "shared-catch-up:unsigned": 1,
      "shared-catch-up:not_authorized": 2,
    });
    vi.advanceTimersByTime(10_000);
    expect(g.link.sent().filter((s) => s.topic === g.topics.sharedReplay)).toHaveLength(1);
    await g.share.stop();
    g.db.close();
  });
});
