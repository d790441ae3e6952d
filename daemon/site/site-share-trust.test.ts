import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Db, openDatabase } from "../../platform/database/database.js";
import { createLogger } from "../../platform/log/logger.js";
import { FakeClock } from "../../platform/testing/fake-clock.js";
import type { Credential } from "../allowlist/credential.js";
import { FakeMqttConnection } from "../mqtt/testing/fake-mqtt-connection.js";
import { gateTopics } from "../mqtt/topics.js";
import { migrateGateState } from "../state/gate-state-schema.js";
import { PresenceStore } from "../state/presence-store.js";
import { ReplayGuard } from "../state/replay-guard.js";
import { OffThreadVerifier } from "../trust/off-thread-verifier.js";
import type { SiteTrust } from "../trust/site-trust.js";
import { testGateMember, testOperatorMember, testSiteTrust } from "../trust/testing/test-members.js";
import { migrateSiteOutbox, SiteOutbox } from "./site-outbox.js";
import { SiteShare } from "./site-share.js";

const dirs: string[] = [];
const shares: SiteShare[] = [];
afterEach(async () => {
  for (const s of shares.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const PERIOD_MS = 30_000;
const credential = { id: "42", scheme: "totp", totp: { period: 30 } } as unknown as Credential;
const STEP = 60_000_000;
const NOW = STEP * PERIOD_MS + 10_000;
/** Where gate A publishes its records. */
const topics = gateTopics({ prefix: "passgate", site: "s", gate: "gate-a" });
/** Where gate B, the gate under test, publishes its own. */
const gateBTopics = gateTopics({ prefix: "passgate", site: "s", gate: "gate-b" });

const a = testGateMember("gate-a");
const c = testGateMember("gate-c");
const desk = testOperatorMember("desk", ["admin"]);

/** Gate B receiving from the site; `sign` makes what a member would publish. */
function gateB(
  options: {
    acceptUnsigned?: boolean;
    timedWindowMs?: number;
    withKey?: boolean;
    verifier?: OffThreadVerifier;
    maxInFlight?: number;
  } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "passgate-site-trust-"));
  dirs.push(dir);
  const db = openDatabase(join(dir, "gate.db"));
  migrateGateState(db);
  migrateSiteOutbox(db);
  const clock = new FakeClock(NOW);
  const b = testGateMember("gate-b");
  const trust = testSiteTrust({
    members: [a.member, c.member, desk.member],
    signer: options.withKey === false ? undefined : b.signer,
    clock,
    acceptUnsigned: options.acceptUnsigned ?? false,
  });
  const link = new FakeMqttConnection();
  const replay = new ReplayGuard(db);
  const presence = new PresenceStore(db);
  const share = new SiteShare(link.connection, gateBTopics, {
    gate: "gate-b",
    outbox: new SiteOutbox(db),
    replay,
    presence,
    allowlist: { get: (id) => (id === "42" ? credential : undefined) },
    trust,
    window: 1,
    clockToleranceMs: 120_000,
    passageHorizonMs: options.timedWindowMs,
    clock,
    logger: createLogger({ level: "silent" }),
    verifier: options.verifier,
    maxInFlight: options.maxInFlight,
  });
  share.start();
  shares.push(share);
  const signer = (member: typeof a) => testSiteTrust({ members: [], signer: member.signer, clock });
  return {
    db,
    replay,
    presence,
    trust,
    link,
    share,
    /** Delivers a record and waits until it is applied or refused (its signature is verified off-thread). */
    deliver: async (topic: string, value: unknown) => {
      link.deliver(topic, value);
      await share.settled();
    },
    signed: (member: typeof a, topic: string, body: Record<string, unknown>) =>
      JSON.parse(signer(member).sign(topic, body) ?? "null") as unknown,
  };
}

const refusals = (trust: SiteTrust) => Object.fromEntries(trust.refusals());
const expiresOf = (db: Db, id: string, step: number) =>
  (
    db.prepare("SELECT expires_at FROM replay WHERE credential = ? AND step = ?").get(id, step) as
      | { expires_at: number }
      | undefined
  )?.expires_at;

describe("SiteShare and the site roster", () => {
  it("acts on a record signed by the gate that made it, and on nothing unsigned by default", async () => {
    const g = gateB();
    await g.deliver(topics.sharedReplay, {
      gate: "gate-a",
      credential: "42",
      step: STEP,
      expiresAt: NOW + 60_000,
    });
    expect(g.replay.seen("42", STEP)).toBe(false);
    await g.deliver(
      topics.sharedReplay,
      g.signed(a, topics.sharedReplay, {
        gate: "gate-a",
        credential: "42",
        step: STEP,
        expiresAt: NOW + 60_000,
      }),
    );
    expect(g.replay.seen("42", STEP)).toBe(true);
    expect(refusals(g.trust)).toEqual({ "shared-replay:unsigned": 1 });
  });

  it("refuses a gate speaking for another gate, an operator's record, a record moved to another topic", async () => {
    const g = gateB();
    const pair = { gate: "gate-a", credential: "42", step: STEP, expiresAt: NOW + 60_000 };
    await g.deliver(topics.sharedReplay, g.signed(c, topics.sharedReplay, pair));
    await g.deliver(topics.sharedReplay, g.signed(desk, topics.sharedReplay, pair));
    await g.deliver(topics.sharedReplay, g.signed(a, topics.sharedPassage, pair));
    // Gate A's own record, signed for gate C's topic (where a broker ACL would have let it).
    const cTopic = gateTopics({ prefix: "passgate", site: "s", gate: "gate-c" }).sharedReplay;
    await g.deliver(cTopic, g.signed(a, cTopic, pair));
    expect(g.replay.seen("42", STEP)).toBe(false);
    expect(refusals(g.trust)).toEqual({
      "shared-replay:not_authorized": 2,
      "shared-replay:wrong_kind": 1,
      "shared-replay:bad_signature": 1,
    });
  });

  it("bounds a pair whoever signed it: a step near now only, an expiry no later than that step's own", async () => {
    const g = gateB();
    // 2,880 steps ahead: a day of a person's codes denied as replayed.
    const future = {
      gate: "gate-a",
      credential: "42",
      step: STEP + 2_880,
      expiresAt: Date.parse("3000-01-01"),
    };
    await g.deliver(topics.sharedReplay, g.signed(a, topics.sharedReplay, future));
    expect(g.replay.seen("42", STEP + 2_880)).toBe(false);
    // A step within the window and the clock tolerance (1 + 4 steps) is kept, its expiry clamped.
    const near = { gate: "gate-a", credential: "42", step: STEP + 5, expiresAt: Date.parse("3000-01-01") };
    await g.deliver(topics.sharedReplay, g.signed(a, topics.sharedReplay, near));
    expect(g.replay.seen("42", STEP + 5)).toBe(true);
    expect(expiresOf(g.db, "42", STEP + 5)).toBe((STEP + 5 + 1 + 1) * PERIOD_MS);
    const tooFar = { gate: "gate-a", credential: "42", step: STEP - 6, expiresAt: NOW };
    await g.deliver(topics.sharedReplay, g.signed(a, topics.sharedReplay, tooFar));
    const unknown = { gate: "gate-a", credential: "77", step: STEP, expiresAt: NOW };
    await g.deliver(topics.sharedReplay, g.signed(a, topics.sharedReplay, unknown));
    expect(refusals(g.trust)).toEqual({ "shared-replay:out_of_bounds": 3 });
  });

  it("bounds a passage: none dated after now plus the tolerance, none older than timed anti-passback uses", async () => {
    const g = gateB({ timedWindowMs: 5 * 60_000 });
    const passage = (person: string, at: number) => ({
      gate: "gate-a",
      person,
      zone: "campus",
      direction: "in",
      at,
    });
    await g.deliver(
      topics.sharedPassage,
      g.signed(a, topics.sharedPassage, passage("p-1", Date.parse("3000-01-01"))),
    );
    await g.deliver(
      topics.sharedPassage,
      g.signed(a, topics.sharedPassage, passage("p-2", NOW - 60 * 60_000)),
    );
    await g.deliver(topics.sharedPassage, g.signed(a, topics.sharedPassage, passage("p-3", NOW + 60_000)));
    await g.deliver(topics.sharedPassage, g.signed(a, topics.sharedPassage, passage("p-4", NOW - 60_000)));
    expect(g.presence.last("p-1", "campus")).toBeUndefined();
    expect(g.presence.last("p-2", "campus")).toBeUndefined();
    expect(g.presence.last("p-3", "campus")?.at).toBe(NOW + 60_000);
    expect(g.presence.last("p-4", "campus")?.at).toBe(NOW - 60_000);
    expect(refusals(g.trust)).toEqual({ "shared-passage:out_of_bounds": 2 });
  });

  it("with acceptUnsigned (migration) takes unsigned records, still bounded", async () => {
    const g = gateB({ acceptUnsigned: true });
    await g.deliver(topics.sharedReplay, {
      gate: "gate-a",
      credential: "42",
      step: STEP,
      expiresAt: NOW + 60_000,
    });
    await g.deliver(topics.sharedReplay, {
      gate: "gate-a",
      credential: "42",
      step: STEP + 2_880,
      expiresAt: NOW,
    });
    expect(g.replay.seen("42", STEP)).toBe(true);
    expect(g.replay.seen("42", STEP + 2_880)).toBe(false);
  });

  it("signs what it shares, and shares nothing without a key", async () => {
    const g = gateB();
    g.share.shareReplay("42", STEP, NOW + 60_000);
    const shared = g.link.sent.filter((s) => s.topic === gateBTopics.sharedReplay);
    expect(shared).toHaveLength(1);
    expect(shared[0]?.payload).toMatchObject({
      v: 1,
      signer: "gate:gate-b",
      body: { gate: "gate-b", credential: "42", step: STEP },
    });
    const keyless = gateB({ withKey: false });
    keyless.share.shareReplay("42", STEP, NOW + 60_000);
    keyless.share.sharePassage("p-1", "campus", "in", NOW);
    expect(keyless.link.sent).toEqual([]);
  });
});

describe("SiteShare verifies records' signatures off the scan thread", () => {
  const pair = (step = STEP) => ({ gate: "gate-a", credential: "42", step, expiresAt: NOW + 60_000 });
  const passage = (person: string) => ({ gate: "gate-a", person, zone: "campus", direction: "in", at: NOW });
  /** A copy of a signed record with its body changed: the signature no longer holds. */
  const forged = (signed: unknown, body: Record<string, unknown>) => ({
    ...(signed as Record<string, unknown>),
    body,
  });

  it("refuses a forged record as bad_signature once the thread answered, and changes nothing", async () => {
    const g = gateB();
    const real = g.signed(a, topics.sharedReplay, pair());
    g.link.deliver(topics.sharedReplay, forged(real, pair(STEP + 1)));
    // Handed to the thread: neither applied nor refused yet.
    expect(g.share.pending).toBe(1);
    expect(refusals(g.trust)).toEqual({});
    await g.share.settled();
    expect(g.share.pending).toBe(0);
    expect(refusals(g.trust)).toEqual({ "shared-replay:bad_signature": 1 });
    expect(g.replay.seen("42", STEP + 1)).toBe(false);
    expect(g.replay.seen("42", STEP)).toBe(false);
    expect(g.share.receivedCounts()).toEqual({ replay: 0, passage: 0 });
    // The real one is applied.
    await g.deliver(topics.sharedReplay, real);
    expect(g.replay.seen("42", STEP)).toBe(true);
    expect(g.share.receivedCounts()).toEqual({ replay: 1, passage: 0 });
  });

  it("a forged copy does not use up the nonce of the real record arriving after it", async () => {
    const g = gateB();
    const real = g.signed(a, topics.sharedReplay, pair());
    // Both in the same turn: the forged copy first, the real one right behind it.
    g.link.deliver(topics.sharedReplay, forged(real, pair(STEP + 1)));
    g.link.deliver(topics.sharedReplay, real);
    await g.share.settled();
    expect(g.replay.seen("42", STEP)).toBe(true);
    expect(g.replay.seen("42", STEP + 1)).toBe(false);
    expect(refusals(g.trust)).toEqual({ "shared-replay:bad_signature": 1 });
    // A copy of it again changes nothing: passed over as known, before any signature check.
    await g.deliver(topics.sharedReplay, real);
    expect(g.share.alreadyKnown).toBe(1);
    expect(refusals(g.trust)).toEqual({ "shared-replay:bad_signature": 1 });
  });

  it("verifies only records that are news: a known pair or an older passage is passed over unverified", async () => {
    let verified = 0;
    const verifier = new OffThreadVerifier({ restartBackoffMs: 0 });
    verifier.start();
    const counting = {
      verify: (signed: Buffer, signature: Buffer, key: string) => {
        verified++;
        return verifier.verify(signed, signature, key);
      },
    };
    const g = gateB({ verifier: counting as unknown as OffThreadVerifier });
    try {
      await g.deliver(topics.sharedReplay, g.signed(a, topics.sharedReplay, pair()));
      await g.deliver(topics.sharedPassage, g.signed(a, topics.sharedPassage, passage("p-1")));
      expect(verified).toBe(2);
      // A catch-up answer: the same records signed again (new nonces), from the same gate.
      await g.deliver(topics.sharedReplay, g.signed(a, topics.sharedReplay, pair()));
      await g.deliver(topics.sharedPassage, g.signed(a, topics.sharedPassage, passage("p-1")));
      // And a forged one of a known pair: it would change nothing either.
      await g.deliver(topics.sharedReplay, forged(g.signed(a, topics.sharedReplay, pair()), pair()));
      expect(verified).toBe(2);
      expect(g.share.alreadyKnown).toBe(3);
      // News is verified and applied: a new step, a newer passage.
      await g.deliver(topics.sharedReplay, g.signed(a, topics.sharedReplay, pair(STEP + 1)));
      await g.deliver(
        topics.sharedPassage,
        g.signed(a, topics.sharedPassage, { ...passage("p-1"), at: NOW + 1_000 }),
      );
      expect(verified).toBe(4);
      expect(g.replay.seen("42", STEP + 1)).toBe(true);
      expect(g.presence.last("p-1", "campus")?.at).toBe(NOW + 1_000);
      expect(refusals(g.trust)).toEqual({});
    } finally {
      await verifier.stop();
    }
  });

  it("refuses records beyond the bound of records in flight as overloaded", async () => {
    const g = gateB({ maxInFlight: 2 });
    for (const person of ["p-1", "p-2", "p-3", "p-4", "p-5"])
      g.link.deliver(topics.sharedPassage, g.signed(a, topics.sharedPassage, passage(person)));
    expect(g.share.pending).toBe(5);
    // The three beyond the bound are refused without waiting for the thread.
    await Promise.resolve();
    expect(refusals(g.trust)).toEqual({ "shared-passage:overloaded": 3 });
    await g.share.settled();
    expect(g.presence.last("p-1", "campus")?.at).toBe(NOW);
    expect(g.presence.last("p-2", "campus")?.at).toBe(NOW);
    for (const person of ["p-3", "p-4", "p-5"]) expect(g.presence.last(person, "campus")).toBeUndefined();
    expect(refusals(g.trust)).toEqual({ "shared-passage:overloaded": 3 });
    // Once the thread caught up, records are taken again.
    await g.deliver(topics.sharedPassage, g.signed(a, topics.sharedPassage, passage("p-6")));
    expect(g.presence.last("p-6", "campus")?.at).toBe(NOW);
  });

  it("refuses the records a dying thread held, never applies them, and starts a new thread", async () => {
    const verifier = new OffThreadVerifier({ restartBackoffMs: 0 });
    verifier.start();
    const first = verifier.thread!;
    await once(first, "online");
    const g = gateB({ verifier });
    for (const person of ["p-1", "p-2", "p-3"])
      g.link.deliver(topics.sharedPassage, g.signed(a, topics.sharedPassage, passage(person)));
    const killed = first.terminate();
    await g.share.settled();
    await killed;
    expect(refusals(g.trust)).toEqual({ "shared-passage:verifier_failed": 3 });
    for (const person of ["p-1", "p-2", "p-3"]) expect(g.presence.last(person, "campus")).toBeUndefined();
    expect(g.share.receivedCounts()).toEqual({ replay: 0, passage: 0 });
    expect(verifier.restarts).toBe(1);
    expect(verifier.thread).toBeDefined();
    expect(verifier.thread).not.toBe(first);
    // The new thread verifies the next record (a repeat of a refused one is taken: its nonce was never remembered).
    await g.deliver(topics.sharedPassage, g.signed(a, topics.sharedPassage, passage("p-1")));
    expect(g.presence.last("p-1", "campus")?.at).toBe(NOW);
    await verifier.stop();
  });

  it("applies nothing still being verified when it stops", async () => {
    const g = gateB();
    g.link.deliver(topics.sharedReplay, g.signed(a, topics.sharedReplay, pair()));
    await g.share.stop();
    expect(g.share.pending).toBe(0);
    expect(g.replay.seen("42", STEP)).toBe(false);
    expect(refusals(g.trust)).toEqual({});
  });
});
