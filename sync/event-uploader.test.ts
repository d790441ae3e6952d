import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JournalRecord } from "../daemon/journal/journal-entry.js";
import { GateDb, GOOD_TOKEN, httpSync, registryPerFile, SITE, until } from "../test/fixtures/sync-fixture.js";
import { EventUploader } from "./event-uploader.js";
import { HttpRegistryClient } from "./http-registry-client.js";

const registry = registryPerFile();
let gate: GateDb;
beforeEach(() => {
  gate = new GateDb();
  registry.server.events.clear();
  registry.server.eventOrder.length = 0;
  registry.server.eventPosts.length = 0;
});
afterEach(() => gate.close());

function decision(i: number, over: Partial<JournalRecord> = {}): JournalRecord {
  return {
    kind: "decision",
    at: Date.parse("2026-11-24T09:00:00Z") + i * 500,
    gate: "main-1",
    reader: "in",
    direction: "in",
    credential: i % 3 === 0 ? null : String(1000 + i),
    person: i % 3 === 0 ? null : `p-${1000 + i}`,
    step: 58_800_000 + i,
    result: i % 2 === 0 ? "granted" : "denied",
    reason: i % 2 === 0 ? "ok" : "expired",
    data: {},
    ...over,
  };
}

function uploader(g: GateDb, batch = 4): EventUploader {
  const client = new HttpRegistryClient({ url: registry.url, site: SITE, token: GOOD_TOKEN });
  return new EventUploader(g.journal, g.state, client, { batch, now: () => Date.now() });
}

function journalIds(g: GateDb): string[] {
  return g.journal
    .since(0, 10_000)
    .filter((e) => e.kind === "decision")
    .map((e) => e.id);
}

describe("EventUploader over HTTP", () => {
  it("sends the journal in batches, in order, in the spec's shape, and empties the backlog", async () => {
    for (let i = 0; i < 10; i++) gate.journal.append(decision(i));
    const up = uploader(gate);
    expect(up.backlog()).toBe(10);
    expect(await up.uploadPending()).toEqual({ sent: 10 });
    expect(up.backlog()).toBe(0);
    expect(registry.server.eventPosts).toHaveLength(3);
    expect(registry.server.eventOrder).toEqual(journalIds(gate));
    const first = registry.server.events.get(registry.server.eventOrder[0] ?? "");
    expect(Object.keys(first ?? {}).sort()).toEqual(
      ["at", "credential", "gate", "id", "passed", "person", "reader", "reason", "result"].sort(),
    );
    expect(first).toMatchObject({
      gate: "main-1",
      reader: "in",
      at: "2026-11-24T09:00:00.000Z",
      credential: null,
      person: null,
      result: "granted",
      passed: true,
    });
    expect(registry.server.events.get(registry.server.eventOrder[1] ?? "")).toMatchObject({
      credential: "1001",
      passed: false,
    });
  });

  it("prunes acknowledged entries older than keepUploaded, never unacknowledged ones", async () => {
    for (let i = 0; i < 10; i++) gate.journal.append(decision(i));
    const day = 24 * 3_600_000;
    const now = Date.parse("2026-11-24T09:00:00Z") + day + 3_000;
    const client = new HttpRegistryClient({ url: registry.url, site: SITE, token: GOOD_TOKEN });
    const up = new EventUploader(gate.journal, gate.state, client, {
      batch: 4,
      now: () => now,
      keepUploaded: day + 1_000,
    });
    // Nothing acknowledged yet: an upload failure keeps every entry.
    registry.server.nextEvents({ status: 503 });
    await up.uploadPending();
    expect(gate.journal.count()).toBe(10);
    expect(await up.uploadPending()).toEqual({ sent: 10 });
    // Entries at 0..2000 ms are older than now − (a day + 1000 ms) = 2000 ms: #1–#4 go.
    expect(gate.journal.count()).toBe(6);
    expect(gate.journal.anchor().seq).toBe(4);
    expect(gate.journal.verify()).toMatchObject({ ok: true, entries: 6 });
  });

  it("keeps the last day's entries whatever keepUploaded says: the replay guard is rebuilt from them", async () => {
    for (let i = 0; i < 10; i++) gate.journal.append(decision(i));
    const client = new HttpRegistryClient({ url: registry.url, site: SITE, token: GOOD_TOKEN });
    const up = new EventUploader(gate.journal, gate.state, client, {
      batch: 4,
      now: () => Date.parse("2026-11-24T09:00:00Z") + 3_000,
      keepUploaded: 1_000,
    });
    expect(await up.uploadPending()).toEqual({ sent: 10 });
    expect(gate.journal.count()).toBe(10);
    expect(gate.journal.anchor().seq).toBe(0);
  });

  it("never sends scan text: only ids the gate resolved (the journal holds no scan text)", async () => {
    gate.journal.append(decision(1, { data: { scheme: "ed25519", flags: ["unverified"] } }));
    await uploader(gate).uploadPending();
    const body = registry.server.eventPosts.join("");
    expect(body).not.toContain("PG1");
    expect(body).not.toContain("scheme");
    expect(body).not.toContain("step");
  });

  it("keeps a batch the registry answered 500 to, and sends it again later", async () => {
    for (let i = 0; i < 3; i++) gate.journal.append(decision(i));
    registry.server.nextEvents({ status: 500, text: "oops" });
    const up = uploader(gate);
    const run = await up.uploadPending();
    expect(run.failure).toMatchObject({ kind: "retry", status: 500 });
    expect(up.backlog()).toBe(3);
    expect(gate.state.get().uploadError).toContain("500");
    expect(await up.uploadPending()).toEqual({ sent: 3 });
    expect(registry.server.eventOrder).toEqual(journalIds(gate));
  });

  it("resends after a crash between send and ack: no loss, no duplicate, in order", async () => {
    for (let i = 0; i < 10; i++) gate.journal.append(decision(i));
    // The first batch reaches the registry, which keeps it, but the gate never sees the 200.
    registry.server.nextEvents({ cut: true });
    const run = await uploader(gate).uploadPending();
    expect(run).toMatchObject({ sent: 0, failure: { kind: "retry" } });
    expect(registry.server.events.size).toBe(4);

    // The gate restarts (as after a crash): the backlog is all still there.
    gate.reopen();
    const up = uploader(gate);
    expect(up.backlog()).toBe(10);
    expect(await up.uploadPending()).toEqual({ sent: 10 });
    expect(up.backlog()).toBe(0);
    const ids = journalIds(gate);
    expect(registry.server.eventOrder).toEqual(ids);
    expect(registry.server.events.size).toBe(10);
    // The cut batch was sent twice; the registry dropped the second copies by id.
    const [cut, resent] = registry.server.eventPosts;
    expect(resent).toBe(cut);
  });

  it("skips entries the events API does not carry, and still moves the cursor over them", async () => {
    gate.journal.append(decision(0));
    gate.journal.append({ ...decision(1), kind: "alarm", result: null, reason: "allowlist_stale" });
    gate.journal.append(decision(2));
    const up = uploader(gate, 2);
    expect(await up.uploadPending()).toEqual({ sent: 2 });
    expect(up.backlog()).toBe(0);
    expect(gate.state.get().uploadSeq).toBe(3);
  });

  it("passing over entries it does not send is no upload: the last upload stays never until the registry acknowledges one", async () => {
    gate.journal.append({ ...decision(0), kind: "mode", result: null, reason: "lockdown" });
    gate.journal.append({ ...decision(1), kind: "alarm", result: null, reason: "allowlist_stale" });
    const up = uploader(gate);
    expect(await up.uploadPending()).toEqual({ sent: 0 });
    expect(registry.server.eventPosts).toEqual([]);
    expect(gate.state.get()).toMatchObject({ uploadSeq: 2, uploadedAt: null });

    gate.journal.append(decision(2));
    const before = Date.now();
    expect(await up.uploadPending()).toEqual({ sent: 1 });
    expect(gate.state.get().uploadedAt).toBeGreaterThanOrEqual(before);
  });

  it("a grant whose relay never opened: not passed, and its not_opened follow-up sent as its own event", async () => {
    const grant = gate.journal.append(decision(2));
    const notOpened = {
      ...decision(3),
      kind: "passage" as const,
      credential: grant.credential,
      person: grant.person,
      step: null,
      result: null,
      reason: "not_opened",
      data: { decision: grant.id, relay: "turnstile", error: "unconfirmed" },
    };
    // In one batch: the grant itself goes up as not passed.
    const followUp = gate.journal.append(notOpened);
    // The next grant went up alone, before its relay answered: only the follow-up corrects it.
    const early = gate.journal.append(decision(4));
    const up = uploader(gate, 3);
    expect(await up.uploadPending()).toEqual({ sent: 3 });
    const lateFollowUp = gate.journal.append({
      ...notOpened,
      data: { ...notOpened.data, decision: early.id },
    });
    expect(await up.uploadPending()).toEqual({ sent: 1 });
    const sent = (id: string) => registry.server.events.get(id);
    expect(sent(grant.id)).toMatchObject({ result: "granted", reason: "ok", passed: false });
    expect(sent(followUp.id)).toEqual({
      id: followUp.id,
      gate: "main-1",
      reader: "in",
      at: new Date(followUp.at).toISOString(),
      credential: grant.credential,
      person: grant.person,
      result: null,
      reason: "not_opened",
      passed: false,
    });
    expect(sent(early.id)).toMatchObject({ result: "granted", passed: true });
    expect(sent(lateFollowUp.id)).toMatchObject({ reason: "not_opened", passed: false });
  });

  it("a journal gap goes up as one denied event dated at the first missing decision", async () => {
    const first = Date.parse("2026-11-24T09:00:00Z");
    const gap = gate.journal.append({
      kind: "alarm",
      at: first,
      gate: "main-1",
      reader: null,
      direction: null,
      credential: null,
      person: null,
      step: null,
      result: null,
      reason: "journal_gap",
      data: { count: 7, first, last: first + 6000 },
    });
    expect(await uploader(gate).uploadPending()).toEqual({ sent: 1 });
    expect(registry.server.events.get(gap.id)).toMatchObject({
      at: "2026-11-24T09:00:00.000Z",
      credential: null,
      result: "denied",
      reason: "journal_gap",
      passed: false,
    });
  });

  it("is run by the sync loop on its interval", async () => {
    for (let i = 0; i < 6; i++) gate.journal.append(decision(i));
    const { sync } = httpSync(gate, registry.url, { settings: { uploadInterval: 50 } });
    sync.start();
    try {
      await until(() => registry.server.events.size === 6);
      gate.journal.append(decision(6));
      await until(() => registry.server.events.size === 7);
    } finally {
      await sync.stop();
    }
    expect(registry.server.eventOrder).toEqual(journalIds(gate));
  });
});
