import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Db, openDatabase } from "../../platform/database/database.js";
import { entryHash, GENESIS_HASH } from "./hash-chain.js";
import { Journal } from "./journal.js";
import type { JournalRecord } from "./journal-entry.js";
import {
  JournalConflictError,
  JournalDataError,
  JournalNotFoundError,
  JournalRecordError,
} from "./journal-errors.js";

function tempPath(): string {
  return join(mkdtempSync(join(tmpdir(), "passgate-journal-")), "gate.db");
}

function tempJournal(): { db: Db; journal: Journal; path: string } {
  const path = tempPath();
  const db = openDatabase(path);
  return { db, journal: Journal.open(db), path };
}

function decision(n: number, overrides: Partial<JournalRecord> = {}): JournalRecord {
  return {
    kind: "decision",
    at: 1_795_510_800_000 + n * 1000,
    gate: "main-1",
    reader: "in",
    direction: "in",
    credential: String(1000 + n),
    person: `p-${1000 + n}`,
    step: 59_850_360 + n,
    result: n % 3 === 0 ? "denied" : "granted",
    reason: n % 3 === 0 ? "replayed" : "ok",
    data: { flags: [], rule: "staff" },
    ...overrides,
  };
}

function appendMany(journal: Journal, count: number): void {
  for (let n = 1; n <= count; n++) journal.append(decision(n));
}

describe("Journal.append", () => {
  it("numbers entries 1, 2, 3… and links each to the previous hash", () => {
    const { journal } = tempJournal();
    const first = journal.append(decision(1));
    const second = journal.append(decision(2));
    expect(first).toMatchObject({ ...decision(1), seq: 1, prevHash: GENESIS_HASH });
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.hash).toBe(entryHash(GENESIS_HASH, first));
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
    expect(second.hash).toBe(entryHash(first.hash, second));
    expect(second.id).not.toBe(first.id);
    expect(journal.head()).toEqual({ seq: 2, hash: second.hash });
    expect(journal.count()).toBe(2);
  });

  it("stores what it returns", () => {
    const { journal } = tempJournal();
    const written = journal.append(
      decision(1, { data: { rule: "staff", flags: ["anti_passback_soft"], n: 1.5 } }),
    );
    expect(journal.tail(1)).toEqual([written]);
  });

  it("stores a record with null fields (a scan that did not parse)", () => {
    const { journal } = tempJournal();
    const record = decision(1, {
      credential: null,
      person: null,
      step: null,
      result: "denied",
      reason: "malformed",
    });
    expect(journal.tail(1)).toEqual([]);
    const written = journal.append({ ...record, data: {} });
    expect(journal.tail(5)).toEqual([written]);
    expect(journal.verify().ok).toBe(true);
  });

  it("refuses records it could not store faithfully, and the chain goes on", () => {
    const { journal } = tempJournal();
    expect(() => journal.append(decision(1, { at: 1.5 }))).toThrow(JournalRecordError);
    expect(() => journal.append(decision(1, { step: Number.NaN }))).toThrow(JournalRecordError);
    expect(() => journal.append(decision(1, { gate: "" }))).toThrow(JournalRecordError);
    expect(() => journal.append(decision(1, { data: { when: new Date() } }))).toThrow(JournalDataError);
    expect(() => journal.append(decision(1, { data: { blob: "x".repeat(5000) } }))).toThrow(JournalDataError);
    expect(journal.append(decision(1)).seq).toBe(1);
    expect(journal.verify()).toMatchObject({ ok: true, entries: 1 });
  });

  it("commits with the caller's transaction", () => {
    const { db, journal } = tempJournal();
    db.exec("CREATE TABLE side (n INTEGER) STRICT");
    const insertSide = db.prepare("INSERT INTO side (n) VALUES (?)");
    const entry = db.transaction(() => {
      insertSide.run(1);
      return journal.append(decision(1));
    })();
    expect(entry.seq).toBe(1);
    expect(db.prepare("SELECT count(*) FROM side").pluck().get()).toBe(1);
    expect(journal.count()).toBe(1);
  });

  it("keeps the chain whole after the caller's transaction rolls back", () => {
    const { db, journal } = tempJournal();
    journal.append(decision(1));
    const failing = db.transaction(() => {
      journal.append(decision(2));
      journal.append(decision(3));
      throw new Error("replay state update failed");
    });
    expect(() => failing()).toThrow("replay state update failed");
    expect(journal.count()).toBe(1);
    expect(journal.head()?.seq).toBe(1);

    // The rolled-back seqs are reused, linked to the last committed entry.
    const next = journal.append(decision(4));
    expect(next.seq).toBe(2);
    expect(next.prevHash).toBe(journal.tail(2)[0]?.hash);
    expect(journal.append(decision(5)).seq).toBe(3);
    expect(journal.verify()).toMatchObject({ ok: true, entries: 3 });
  });

  it("keeps the chain whole after a rolled-back savepoint inside a committed transaction", () => {
    const { db, journal } = tempJournal();
    db.transaction(() => {
      journal.append(decision(1));
      expect(() =>
        db.transaction(() => {
          journal.append(decision(2));
          throw new Error("inner failure");
        })(),
      ).toThrow("inner failure");
      journal.append(decision(3));
    })();
    expect(journal.tail(10).map((e) => [e.seq, e.person])).toEqual([
      [1, "p-1001"],
      [2, "p-1003"],
    ]);
    expect(journal.verify().ok).toBe(true);
  });

  it("continues the chain after the database is reopened", () => {
    const { db, journal, path } = tempJournal();
    appendMany(journal, 3);
    const head = journal.head();
    db.close();

    const reopened = openDatabase(path);
    const again = Journal.open(reopened);
    expect(again.head()).toEqual(head);
    const fourth = again.append(decision(4));
    expect(fourth).toMatchObject({ seq: 4, prevHash: head?.hash });
    expect(again.verify()).toMatchObject({ ok: true, entries: 4, head: { seq: 4, hash: fourth.hash } });
  });

  it("catches up when another connection appended", () => {
    const { journal, path } = tempJournal();
    journal.append(decision(1));
    const other = Journal.open(openDatabase(path));
    other.append(decision(2));
    expect(journal.append(decision(3)).seq).toBe(3);
    expect(journal.verify().ok).toBe(true);
  });

  it("gives up with a JournalConflictError when the head moves again after reloading", () => {
    const { db, journal } = tempJournal();
    journal.append(decision(1));
    // Stands in for a second writer that wins every race.
    db.exec(`
      DROP TRIGGER journal_follows_head;
      CREATE TRIGGER journal_follows_head BEFORE INSERT ON journal
      BEGIN SELECT RAISE(ABORT, 'passgate journal: head moved'); END;
    `);
    expect(() => journal.append(decision(2))).toThrow(JournalConflictError);
    expect(journal.count()).toBe(1);
  });

  it("refuses at the database an entry that does not extend the head", () => {
    const { db, journal } = tempJournal();
    const first = journal.append(decision(1));
    const insert = db.prepare(
      "INSERT INTO journal (seq, id, at, kind, gate, data, prev_hash, hash) VALUES (?, ?, 0, 'system', 'g', '{}', ?, ?)",
    );
    expect(() => insert.run(3, "x", first.hash, "h")).toThrow("head moved");
    expect(() => insert.run(2, "x", GENESIS_HASH, "h")).toThrow("head moved");
    expect(journal.verify().ok).toBe(true);
  });
});

describe("Journal reads", () => {
  it("tail gives the newest entries oldest first; since gives the next batch", () => {
    const { journal } = tempJournal();
    appendMany(journal, 10);
    expect(journal.tail(3).map((e) => e.seq)).toEqual([8, 9, 10]);
    expect(journal.tail(3, 8).map((e) => e.seq)).toEqual([9, 10]);
    expect(journal.tail(0)).toEqual([]);
    expect(journal.since(0, 4).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(journal.since(8, 4).map((e) => e.seq)).toEqual([9, 10]);
    expect(journal.since(10, 4)).toEqual([]);
  });

  it("head is null and verify passes on an empty journal", () => {
    const { journal } = tempJournal();
    expect(journal.head()).toBeNull();
    expect(journal.count()).toBe(0);
    expect(journal.verify()).toEqual({ ok: true, entries: 0, head: null });
  });

  it("opens read-only for tools, and says so when there is no journal", () => {
    const { db, journal, path } = tempJournal();
    appendMany(journal, 2);
    const reader = openDatabase(path, { readonly: true });
    expect(Journal.open(reader).verify()).toMatchObject({ ok: true, entries: 2 });
    reader.close();
    db.close();

    const emptyPath = tempPath();
    openDatabase(emptyPath).close();
    expect(() => Journal.open(openDatabase(emptyPath, { readonly: true }))).toThrow(JournalNotFoundError);
  });

  it("verify reads one snapshot while a writer appends", () => {
    const { journal, path } = tempJournal();
    appendMany(journal, 5);
    const reader = Journal.open(openDatabase(path, { readonly: true }));
    expect(reader.verify()).toMatchObject({ ok: true, entries: 5 });
    journal.append(decision(6));
    expect(reader.verify()).toMatchObject({ ok: true, entries: 6 });
  });
});

describe("Journal.verify detects tampering", () => {
  function tampered(sql: string, count = 5): ReturnType<Journal["verify"]> {
    const { db, journal } = tempJournal();
    appendMany(journal, count);
    expect(journal.verify().ok).toBe(true);
    db.exec(sql);
    return journal.verify();
  }

  it("an edited field", () => {
    expect(tampered("UPDATE journal SET reason = 'ok', result = 'granted' WHERE seq = 3")).toEqual({
      ok: false,
      entries: 5,
      head: { seq: 5, hash: expect.any(String) },
      firstBadSeq: 3,
      problem: "hash_mismatch",
      message: "entry edited (hash mismatch)",
    });
  });

  it("an edited time", () => {
    expect(tampered("UPDATE journal SET at = at - 3600000 WHERE seq = 2")).toMatchObject({
      firstBadSeq: 2,
      problem: "hash_mismatch",
    });
  });

  it("edited data JSON, also when it keeps the same meaning", () => {
    expect(tampered(`UPDATE journal SET data = '{"flags":[],"rule":"admin"}' WHERE seq = 4`)).toMatchObject({
      firstBadSeq: 4,
      problem: "hash_mismatch",
    });
    expect(tampered(`UPDATE journal SET data = '{"rule":"staff","flags":[]}' WHERE seq = 4`)).toMatchObject({
      firstBadSeq: 4,
      problem: "hash_mismatch",
    });
  });

  it("a deleted middle entry", () => {
    expect(tampered("DELETE FROM journal WHERE seq = 3")).toMatchObject({
      ok: false,
      entries: 4,
      firstBadSeq: 3,
      problem: "missing_entries",
      message: "entries missing (#3 deleted)",
    });
    expect(tampered("DELETE FROM journal WHERE seq IN (2, 3)")).toMatchObject({
      firstBadSeq: 2,
      message: "entries missing (#2–#3 deleted)",
    });
  });

  it("deleted first entries", () => {
    expect(tampered("DELETE FROM journal WHERE seq = 1")).toMatchObject({
      firstBadSeq: 1,
      problem: "missing_entries",
    });
  });

  it("a deleted last entry", () => {
    expect(tampered("DELETE FROM journal WHERE seq = 5")).toMatchObject({
      ok: false,
      entries: 4,
      firstBadSeq: 5,
      problem: "head_mismatch",
    });
  });

  it("every entry deleted", () => {
    expect(tampered("DELETE FROM journal")).toMatchObject({
      ok: false,
      entries: 0,
      firstBadSeq: 1,
      problem: "head_mismatch",
    });
  });

  it("two entries swapped", () => {
    expect(
      tampered(`
        UPDATE journal SET seq = -3 WHERE seq = 3;
        UPDATE journal SET seq = 3 WHERE seq = 4;
        UPDATE journal SET seq = 4 WHERE seq = -3;
      `),
    ).toMatchObject({ ok: false, firstBadSeq: 3, problem: "hash_mismatch" });
  });

  it("an entry replaced by a well-formed forgery that is not linked", () => {
    const { db, journal } = tempJournal();
    appendMany(journal, 3);
    const second = journal.since(1, 1)[0]!;
    // A forger re-hashes the edited entry, but cannot make entry 3 point at it.
    const forged = { ...second, reason: "forged", prevHash: second.prevHash };
    db.prepare("UPDATE journal SET reason = ?, hash = ? WHERE seq = 2").run(
      forged.reason,
      entryHash(forged.prevHash, forged),
    );
    expect(journal.verify()).toMatchObject({ ok: false, firstBadSeq: 3, problem: "broken_link" });
  });

  it("an edited head row", () => {
    expect(tampered("UPDATE journal_head SET seq = 3")).toMatchObject({
      firstBadSeq: 4,
      problem: "head_mismatch",
    });
    expect(tampered(`UPDATE journal_head SET hash = '${"a".repeat(64)}'`)).toMatchObject({
      firstBadSeq: 5,
      problem: "head_mismatch",
    });
  });

  it("not: a whole chain and head rewritten consistently (that needs an external anchor)", () => {
    const { db, journal } = tempJournal();
    appendMany(journal, 3);
    const entries = journal.tail(3);
    db.exec("DROP TRIGGER journal_follows_head; DELETE FROM journal WHERE seq = 3");
    db.prepare("UPDATE journal_head SET seq = ?, hash = ? WHERE singleton = 1").run(2, entries[1]?.hash);
    expect(journal.verify()).toMatchObject({ ok: true, entries: 2 });
  });

  it("counts all entries even after the first problem", () => {
    expect(tampered("UPDATE journal SET reason = 'x' WHERE seq = 1", 50)).toMatchObject({
      entries: 50,
      firstBadSeq: 1,
    });
  });
});

describe("Journal.prune (retention of uploaded entries)", () => {
  function filled(n: number) {
    const dir = mkdtempSync(join(tmpdir(), "passgate-prune-"));
    const db = openDatabase(join(dir, "j.db"));
    const journal = Journal.open(db);
    for (let i = 1; i <= n; i++) {
      journal.append({
        kind: "decision",
        at: i * 1000,
        gate: "g",
        reader: "in",
        direction: "in",
        credential: String(i),
        person: null,
        step: i,
        result: "granted",
        reason: "ok",
        data: {},
      });
    }
    return { db, journal };
  }

  it("removes acknowledged old entries and the rest of the chain still verifies", () => {
    const { journal } = filled(10);
    expect(journal.prune(6, 5_500)).toBe(5);
    expect(journal.anchor().seq).toBe(5);
    expect(journal.count()).toBe(5);
    expect(journal.verify()).toMatchObject({ ok: true, entries: 5, head: { seq: 10 } });
    journal.append({
      kind: "system",
      at: 11_000,
      gate: "g",
      reader: null,
      direction: null,
      credential: null,
      person: null,
      step: null,
      result: null,
      reason: null,
      data: {},
    });
    expect(journal.verify()).toMatchObject({ ok: true, entries: 6 });
  });

  it("never removes the head entry, nor more than asked", () => {
    const { journal } = filled(3);
    expect(journal.prune(3, 1e12)).toBe(2);
    expect(journal.verify()).toMatchObject({ ok: true, entries: 1, head: { seq: 3 } });
    expect(journal.prune(3, 1e12)).toBe(0);
    const big = filled(50).journal;
    expect(big.prune(49, 1e12, 20)).toBe(20);
    expect(big.verify().ok).toBe(true);
  });

  it("still detects an entry deleted after the anchor, and an edited anchor", () => {
    const { db, journal } = filled(10);
    journal.prune(4, 1e12);
    db.prepare("DELETE FROM journal WHERE seq = 7").run();
    expect(journal.verify()).toMatchObject({ ok: false, problem: "missing_entries", firstBadSeq: 7 });
    const other = filled(10);
    other.journal.prune(4, 1e12);
    other.db.prepare("UPDATE journal_anchor SET seq = 3").run();
    expect(other.journal.verify()).toMatchObject({ ok: false, problem: "missing_entries" });
  });
});
