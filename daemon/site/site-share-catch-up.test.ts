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

/** Gate A's site share, signing with its key, over a broker link that starts down, on a fake clock. */
function gateA() {
  const dir = mkdtempSync(join(tmpdir(), "passgate-site-catch-up-"));
  dirs.push(dir);
  const db = openDatabase(join(dir, "gate.db"));
  migrateGateState(db);
  migrateSiteOutbox(db);
  const topics = gateTopics({ prefix: "passgate", site: "s", gate: "gate-a" });
  const fake = new FakeMqttConnection(false);
  const clock = new FakeClock(1_000_000);
  const a = testGateMember("gate-a");
  const share = new SiteShare(fake.connection, topics, {
    gate: "gate-a",
    outbox: new SiteOutbox(db),
    replay: new ReplayGuard(db),
    presence: new PresenceStore(db),
    allowlist: { get: () => credential },
    trust: testSiteTrust({ members: [a.member], signer: a.signer, clock }),
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
  return { db, topics, link, clock, share };
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
