import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Db, openDatabase } from "../../platform/database/database.js";
import { migrateSiteOutbox, SiteOutbox } from "./site-outbox.js";

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function database(): { path: string; open(): Db } {
  const dir = mkdtempSync(join(tmpdir(), "passgate-site-outbox-"));
  dirs.push(dir);
  const path = join(dir, "gate.db");
  return {
    path,
    open: () => {
      const db = openDatabase(path);
      migrateSiteOutbox(db);
      dbs.push(db);
      return db;
    },
  };
}

const NOW = 1_764_000_000_000;
const pair = (credential: string, step = 7) =>
  ({ kind: "replay", item: { gate: "gate-a", credential, step, expiresAt: NOW + 60_000 } }) as const;
const passage = (person: string, at = NOW) =>
  ({ kind: "passage", item: { gate: "gate-a", person, zone: "campus", direction: "in", at } }) as const;

describe("SiteOutbox", () => {
  it("keeps what it was given across a close and reopen of the database, oldest first", () => {
    const file = database();
    const first = new SiteOutbox(file.open());
    first.add(pair("42"), NOW, NOW + 60_000);
    first.add(passage("p-1"), NOW, NOW + 300_000);
    first.add(pair("43", 8), NOW, NOW + 90_000);
    (dbs.pop() as Db).close();

    const again = new SiteOutbox(file.open());
    expect(again.live(NOW, { unacked: true }).map((r) => [r.kind, r.item])).toEqual([
      ["replay", pair("42").item],
      ["passage", passage("p-1").item],
      ["replay", pair("43", 8).item],
    ]);
    expect(again.live(NOW, { unacked: true }).map((r) => r.expiresAt)).toEqual([
      NOW + 60_000,
      NOW + 300_000,
      NOW + 90_000,
    ]);
    expect(again.size()).toEqual({ replay: 2, passage: 1 });
  });

  it("leaves the outbox on the broker's acknowledgement, and stays for catch-up answers until it expires", () => {
    const outbox = new SiteOutbox(database().open());
    const acked = outbox.add(pair("42"), NOW, NOW + 60_000);
    outbox.add(pair("43"), NOW, NOW + 60_000);
    outbox.acked(acked);
    expect(outbox.live(NOW, { unacked: true }).map((r) => r.item)).toEqual([pair("43").item]);
    expect(outbox.live(NOW).map((r) => [r.item, r.acked])).toEqual([
      [pair("42").item, true],
      [pair("43").item, false],
    ]);
  });

  it("gives only the records learned since a time, for a gate that was cut off from then on", () => {
    const outbox = new SiteOutbox(database().open());
    outbox.add(pair("41"), NOW - 5_000, NOW + 60_000);
    outbox.add(pair("42"), NOW, NOW + 60_000);
    outbox.add(passage("p-1"), NOW + 1_000, NOW + 300_000);
    expect(outbox.live(NOW, { since: NOW }).map((r) => r.kind)).toEqual(["replay", "passage"]);
    expect(outbox.live(NOW, { since: NOW + 1 }).map((r) => r.kind)).toEqual(["passage"]);
    expect(outbox.live(NOW)).toHaveLength(3);
  });

  it("never gives a row whose record is no longer a valid one of its kind", () => {
    const db = database().open();
    const outbox = new SiteOutbox(db);
    const bad = outbox.add(pair("42"), NOW, NOW + 60_000);
    outbox.add(pair("43"), NOW, NOW + 60_000);
    db.prepare("UPDATE site_outbox SET record = ? WHERE id = ?").run(
      '{"gate":"gate-a","credential":"x"}',
      bad,
    );
    expect(outbox.live(NOW).map((r) => r.item)).toEqual([pair("43").item]);
    expect(outbox.unreadable).toBe(1);
  });

  it("forgets records at their own expiry: unsent ones too", () => {
    const outbox = new SiteOutbox(database().open());
    outbox.add(pair("42"), NOW, NOW + 20_000);
    outbox.add(pair("43"), NOW, NOW + 60_000);
    outbox.add(passage("p-1"), NOW, NOW + 300_000);
    // Expired by the clock, a record is neither sent nor answered, even before the prune.
    expect(outbox.live(NOW + 20_000, { unacked: true }).map((r) => r.kind)).toEqual(["replay", "passage"]);
    expect(outbox.prune(NOW + 20_000)).toBe(1);
    expect(outbox.size()).toEqual({ replay: 1, passage: 1 });
    expect(outbox.prune(NOW + 300_000)).toBe(2);
    expect(outbox.live(NOW)).toEqual([]);
    expect(outbox.size()).toEqual({ replay: 0, passage: 0 });
  });

  it("keeps at most `cap` records per kind, dropping the oldest of that kind only", () => {
    const file = database();
    const outbox = new SiteOutbox(file.open(), 3);
    outbox.add(passage("p-1"), NOW, NOW + 300_000);
    for (const id of ["41", "42", "43", "44", "45"]) outbox.add(pair(id), NOW, NOW + 60_000);
    expect(outbox.size()).toEqual({ replay: 3, passage: 1 });
    expect(outbox.live(NOW).map((r) => (r.kind === "replay" ? r.item.credential : r.item.person))).toEqual([
      "p-1",
      "43",
      "44",
      "45",
    ]);
    // The count is the table's, after a restart too.
    (dbs.pop() as Db).close();
    const again = new SiteOutbox(file.open(), 3);
    again.add(pair("46"), NOW, NOW + 60_000);
    expect(again.live(NOW).map((r) => (r.kind === "replay" ? r.item.credential : r.item.person))).toEqual([
      "p-1",
      "44",
      "45",
      "46",
    ]);
  });
});
