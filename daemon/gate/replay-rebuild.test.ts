import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../platform/database/database.js";
import { credentialSchema } from "../allowlist/credential.js";
import { FakeAllowlistStore } from "../allowlist/testing/fake-allowlist-store.js";
import { Journal } from "../journal/journal.js";
import type { JournalRecord } from "../journal/journal-entry.js";
import { migrateGateState } from "../state/gate-state-schema.js";
import { ReplayGuard } from "../state/replay-guard.js";
import {
  JOURNAL_KEEPS_FOR_REPLAY_MS,
  LONGEST_REPLAY_HORIZON_MS,
  rememberJournaledGrants,
  replayHorizonMs,
} from "./replay-rebuild.js";

const NOW = Date.parse("2026-11-24T09:00:15Z");

function credential(id: string, period: number) {
  return credentialSchema.parse({
    id,
    person: `p-${id}`,
    roles: ["student"],
    status: "active",
    scheme: "totp",
    totp: { secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", algorithm: "SHA1", digits: 8, period },
  });
}

function decision(
  at: number,
  credentialId: string,
  step: number,
  result: "granted" | "denied",
): JournalRecord {
  return {
    kind: "decision",
    at,
    gate: "main-1",
    reader: "in",
    direction: "in",
    credential: credentialId,
    person: `p-${credentialId}`,
    step,
    result,
    reason: result === "granted" ? "ok" : "expired",
    data: {},
  };
}

function opened() {
  const path = join(mkdtempSync(join(tmpdir(), "passgate-replay-rebuild-")), "gate.db");
  const db = openDatabase(path);
  migrateGateState(db);
  return { db, journal: Journal.open(db) };
}

describe("rememberJournaledGrants", () => {
  it("puts back each granted decision's pair with its credential's period, and nothing else", () => {
    const { db, journal } = opened();
    const store = new FakeAllowlistStore([credential("30", 30), credential("60", 60)]);
    const step30 = Math.floor(NOW / 30_000);
    const step60 = Math.floor(NOW / 60_000);
    journal.append(decision(NOW - 5_000, "30", step30, "granted"));
    journal.append(decision(NOW - 4_000, "60", step60, "granted"));
    journal.append(decision(NOW - 3_000, "30", step30 + 1, "denied"));
    journal.append(decision(NOW - 2_000, "gone", 123, "granted"));
    journal.append({ ...decision(NOW - 1_000, "30", step30 + 2, "granted"), kind: "passage" });

    const replay = new ReplayGuard(db);
    expect(rememberJournaledGrants(journal, replay, store, { now: NOW, window: 1 })).toBe(3);
    expect(replay.seen("30", step30)).toBe(true);
    expect(replay.seen("60", step60)).toBe(true);
    expect(replay.seen("gone", 123)).toBe(true);
    expect(replay.seen("30", step30 + 1)).toBe(false);
    expect(replay.seen("30", step30 + 2)).toBe(false);
    // Each pair leaves when its step stops verifying in its own period (window 1: two steps on).
    replay.prune((step30 + 2) * 30_000);
    expect(replay.seen("30", step30)).toBe(false);
    expect(replay.seen("60", step60)).toBe(true);
    replay.prune((step60 + 2) * 60_000);
    expect(replay.seen("60", step60)).toBe(false);
    // A credential the allowlist no longer has keeps its pair for the longest period.
    expect(replay.seen("gone", 123)).toBe(true);
    replay.prune(NOW - 2_000 + 4 * 3_600_000);
    expect(replay.seen("gone", 123)).toBe(false);
    db.close();
  });

  it("reads back only as far as a grant could still verify", () => {
    const { db, journal } = opened();
    const store = new FakeAllowlistStore([credential("30", 30)]);
    const horizon = replayHorizonMs(1);
    journal.append(decision(NOW - horizon - 1, "30", 1, "granted"));
    journal.append(decision(NOW - horizon + 1, "30", 2, "granted"));
    const replay = new ReplayGuard(db);
    expect(rememberJournaledGrants(journal, replay, store, { now: NOW, window: 1 })).toBe(1);
    expect(replay.seen("30", 2)).toBe(true);
    expect(replay.seen("30", 1)).toBe(false);
    db.close();
  });

  it("reads past a stretch of entries a wrong clock dated in the past", () => {
    const { db, journal } = opened();
    const store = new FakeAllowlistStore([credential("30", 30)]);
    const step = Math.floor(NOW / 30_000);
    journal.append(decision(NOW - 60_000, "30", step - 2, "granted"));
    for (let i = 0; i < 10; i++) journal.append(decision(NOW - 5 * 3_600_000, "30", 1000 + i, "granted"));
    journal.append(decision(NOW - 1_000, "30", step, "granted"));
    const replay = new ReplayGuard(db);
    expect(rememberJournaledGrants(journal, replay, store, { now: NOW, window: 1 })).toBe(2);
    expect(replay.seen("30", step - 2)).toBe(true);
    expect(replay.seen("30", step)).toBe(true);
    db.close();
  });

  it("needs no more of the journal than the uploader keeps, at the largest window", () => {
    expect(LONGEST_REPLAY_HORIZON_MS).toBeLessThanOrEqual(JOURNAL_KEEPS_FOR_REPLAY_MS);
  });
});

describe("ReplayGuard sources", () => {
  it("keeps a shared pair in its table and a granted one in memory only", () => {
    const { db } = opened();
    const guard = new ReplayGuard(db);
    guard.accept("shared", 100, NOW + 60_000);
    guard.remember("own", 100, NOW + 60_000);
    expect(guard.seen("shared", 100)).toBe(true);
    expect(guard.seen("own", 100)).toBe(true);
    // A new guard on the same file reads the shared pair back; the own one comes from the journal.
    const again = new ReplayGuard(db);
    expect(again.seen("shared", 100)).toBe(true);
    expect(again.seen("own", 100)).toBe(false);
    db.close();
  });
});
