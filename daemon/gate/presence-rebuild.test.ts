import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Db, openDatabase } from "../../platform/database/database.js";
import { Journal } from "../journal/journal.js";
import type { JournalRecord } from "../journal/journal-entry.js";
import { migrateGateState } from "../state/gate-state-schema.js";
import { PRESENCE_PENDING_LIMIT, PresenceStore } from "../state/presence-store.js";
import { writeJournaledPassages } from "./presence-rebuild.js";

const NOW = Date.parse("2026-11-24T09:00:15Z");

function grant(person: string, at: number, direction: "in" | "out", zone?: string): JournalRecord {
  return {
    kind: "decision",
    at,
    gate: "main-1",
    reader: direction,
    direction,
    credential: person.slice(2),
    person,
    step: Math.floor(at / 30_000),
    result: "granted",
    reason: "ok",
    data: zone === undefined ? {} : { zone },
  };
}

function open(path: string): { db: Db; journal: Journal; presence: PresenceStore } {
  const db = openDatabase(path);
  migrateGateState(db);
  return { db, journal: Journal.open(db), presence: new PresenceStore(db) };
}

function tempPath(): string {
  return join(mkdtempSync(join(tmpdir(), "passgate-presence-")), "gate.db");
}

describe("a grant's passage", () => {
  it("is answered from memory at once, and written by the next flush with the journal seq it covers", () => {
    const path = tempPath();
    const { db, journal, presence } = open(path);
    writeJournaledPassages(journal, presence);
    const entry = journal.append(grant("p-1", NOW, "in", "campus"));
    presence.recordJournaled("p-1", "campus", "in", NOW, entry.seq);
    expect(presence.last("p-1", "campus")).toEqual({ direction: "in", at: NOW });
    // Another connection (the CLI) sees the table: not yet.
    const other = openDatabase(path);
    expect(new PresenceStore(other).last("p-1", "campus")).toBeUndefined();
    expect(presence.flush()).toBe(1);
    expect(new PresenceStore(other).last("p-1", "campus")).toEqual({ direction: "in", at: NOW });
    expect(presence.appliedThrough()).toBe(entry.seq);
    other.close();
    db.close();
  });

  it("after a crash before the flush, is written from the journal at the next start, once", () => {
    const path = tempPath();
    const first = open(path);
    expect(writeJournaledPassages(first.journal, first.presence)).toBe(0);
    const a = first.journal.append(grant("p-1", NOW, "in", "campus"));
    first.presence.recordJournaled("p-1", "campus", "in", NOW, a.seq);
    first.presence.flush();
    // Then: one more in, an out of another person, a grant that moved no presence (a
    // sensed reader: no zone), a denial; the process dies before the next flush.
    const b = first.journal.append(grant("p-2", NOW + 1_000, "in", "campus"));
    first.presence.recordJournaled("p-2", "campus", "in", NOW + 1_000, b.seq);
    const c = first.journal.append(grant("p-1", NOW + 2_000, "out", "campus"));
    first.presence.recordJournaled("p-1", "campus", "out", NOW + 2_000, c.seq);
    first.journal.append(grant("p-3", NOW + 3_000, "in"));
    first.journal.append({
      ...grant("p-4", NOW + 4_000, "in", "campus"),
      result: "denied",
      reason: "expired",
    });
    first.db.close();

    const second = open(path);
    expect(second.presence.last("p-2", "campus")).toBeUndefined();
    expect(writeJournaledPassages(second.journal, second.presence)).toBe(2);
    expect(second.presence.last("p-1", "campus")).toEqual({ direction: "out", at: NOW + 2_000 });
    expect(second.presence.last("p-2", "campus")).toEqual({ direction: "in", at: NOW + 1_000 });
    expect(second.presence.last("p-3", "campus")).toBeUndefined();
    expect(second.presence.last("p-4", "campus")).toBeUndefined();
    expect(writeJournaledPassages(second.journal, second.presence)).toBe(0);
    second.db.close();
  });

  it("never undoes a newer passage from elsewhere (another gate's, a sensor's) written meanwhile", () => {
    const { db, journal, presence } = open(tempPath());
    writeJournaledPassages(journal, presence);
    const entry = journal.append(grant("p-1", NOW, "in", "campus"));
    presence.recordJournaled("p-1", "campus", "in", NOW, entry.seq);
    presence.record("p-1", "campus", "out", NOW + 5_000);
    expect(presence.last("p-1", "campus")).toEqual({ direction: "out", at: NOW + 5_000 });
    presence.flush();
    expect(presence.last("p-1", "campus")).toEqual({ direction: "out", at: NOW + 5_000 });
    // And a crash replaying the grant from the journal leaves it so too.
    db.prepare("UPDATE presence_applied SET seq = 0").run();
    expect(writeJournaledPassages(journal, presence)).toBe(1);
    expect(presence.last("p-1", "campus")).toEqual({ direction: "out", at: NOW + 5_000 });
    db.close();
  });

  it("on the first start of a database an older passgate wrote, reads none of its journal", () => {
    const { db, journal, presence } = open(tempPath());
    journal.append(grant("p-1", NOW, "in", "campus"));
    expect(presence.appliedThrough()).toBeUndefined();
    expect(writeJournaledPassages(journal, presence)).toBe(0);
    expect(presence.appliedThrough()).toBe(1);
    db.close();
  });

  it("asks to be written once it holds PRESENCE_PENDING_LIMIT passages", () => {
    const { db, journal, presence } = open(tempPath());
    writeJournaledPassages(journal, presence);
    for (let i = 1; i < PRESENCE_PENDING_LIMIT; i++)
      expect(presence.recordJournaled(`p-${i}`, "campus", "in", NOW, i)).toBe(false);
    expect(presence.recordJournaled("p-last", "campus", "in", NOW, PRESENCE_PENDING_LIMIT)).toBe(true);
    expect(db.prepare("SELECT count(*) FROM presence").pluck().get()).toBe(0);
    expect(presence.flush()).toBe(PRESENCE_PENDING_LIMIT);
    expect(db.prepare("SELECT count(*) FROM presence").pluck().get()).toBe(PRESENCE_PENDING_LIMIT);
    expect(presence.appliedThrough()).toBe(PRESENCE_PENDING_LIMIT);
    db.close();
  });
});
