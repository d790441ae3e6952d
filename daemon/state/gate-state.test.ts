import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Db, openDatabase } from "../../platform/database/database.js";
import { migrateGateState } from "./gate-state-schema.js";
import { LockoutTracker } from "./lockout-tracker.js";
import { ModeStore } from "./mode-store.js";
import { PresenceStore } from "./presence-store.js";
import { ReaderGuesses } from "./reader-guesses.js";
import { ReplayGuard, replayExpiry } from "./replay-guard.js";

function tempDb(): { db: Db; path: string } {
  const path = join(mkdtempSync(join(tmpdir(), "passgate-state-")), "gate.db");
  const db = openDatabase(path);
  migrateGateState(db);
  return { db, path };
}

describe("ReplayGuard", () => {
  it("accepts a pair once and remembers it across a restart", () => {
    const { db, path } = tempDb();
    const guard = new ReplayGuard(db);
    expect(guard.seen("1001", 100)).toBe(false);
    guard.accept("1001", 100, replayExpiry(100, 30, 1));
    expect(guard.seen("1001", 100)).toBe(true);
    expect(guard.seen("1001", 101)).toBe(false);
    expect(guard.seen("1002", 100)).toBe(false);
    db.close();
    const reopened = openDatabase(path);
    migrateGateState(reopened);
    expect(new ReplayGuard(reopened).seen("1001", 100)).toBe(true);
  });

  it("prunes a pair only once its step can no longer verify", () => {
    const { db } = tempDb();
    const guard = new ReplayGuard(db);
    const expires = replayExpiry(100, 30, 1);
    // step 100 verifies while now_step <= 101, i.e. until 102 * 30 s.
    expect(expires).toBe(102 * 30 * 1000);
    guard.accept("1001", 100, expires);
    expect(guard.prune(expires - 1)).toBe(0);
    expect(guard.seen("1001", 100)).toBe(true);
    expect(guard.prune(expires)).toBe(1);
    expect(guard.seen("1001", 100)).toBe(false);
  });
});

describe("LockoutTracker", () => {
  const policy = { attempts: 3, within: 60_000, lockFor: 300_000 };

  it("locks after N failures within the window, for lockFor", () => {
    const { db } = tempDb();
    const t = new LockoutTracker(db, policy);
    expect(t.recordFailure("42", "in", 0)).toBeUndefined();
    expect(t.recordFailure("42", "in", 10_000)).toBeUndefined();
    expect(t.lockedUntil("42", "in", 10_000)).toBeUndefined();
    expect(t.recordFailure("42", "in", 20_000)).toBe(320_000);
    expect(t.lockedUntil("42", "in", 319_999)).toBe(320_000);
    expect(t.lockedUntil("42", "in", 320_000)).toBeUndefined();
    expect(t.lockedUntil("43", "in", 100_000)).toBeUndefined();
  });

  it("does not count failures older than the window", () => {
    const { db } = tempDb();
    const t = new LockoutTracker(db, policy);
    t.recordFailure("42", "in", 0);
    t.recordFailure("42", "in", 30_000);
    expect(t.recordFailure("42", "in", 60_000)).toBeUndefined();
    expect(t.recordFailure("42", "in", 70_000)).toBe(370_000);
  });

  it("is off with attempts 0", () => {
    const { db } = tempDb();
    const t = new LockoutTracker(db, { ...policy, attempts: 0 });
    for (let i = 0; i < 10; i++) t.recordFailure("42", "in", i);
    expect(t.lockedUntil("42", "in", 10)).toBeUndefined();
  });
  it("locks a credential only at the reader where the bad codes came", () => {
    const { db } = tempDb();
    const t = new LockoutTracker(db, policy);
    for (let i = 0; i < 3; i++) t.recordFailure("42", "in", i * 1000);
    expect(t.lockedUntil("42", "in", 5_000)).toBe(302_000);
    expect(t.lockedUntil("42", "out", 5_000)).toBeUndefined();
  });
});

describe("ReaderGuesses", () => {
  const hour = 3_600_000;

  it("gives a reader `burst` bad codes, then one per `every`", () => {
    const { db } = tempDb();
    const g = new ReaderGuesses(db, { burst: 3, every: hour });
    expect(g.recordGuess("in", 0)).toBe(false);
    expect(g.recordGuess("in", 1)).toBe(false);
    expect(g.throttledUntil("in", 2)).toBeUndefined();
    expect(g.recordGuess("in", 2)).toBe(true);
    const until = g.throttledUntil("in", 3);
    expect(until).toBeGreaterThan(hour - 10);
    expect(until).toBeLessThanOrEqual(hour + 3);
    expect(g.throttledUntil("out", 3)).toBeUndefined();
    expect(g.throttledUntil("in", hour + 2)).toBeUndefined();
    // The token that came back is used up by the next bad code.
    expect(g.recordGuess("in", hour + 2)).toBe(true);
    expect(g.throttledUntil("in", hour + 3)).toBeDefined();
  });

  it("refills no more than `burst`, and a clock stepped back refills nothing", () => {
    const { db } = tempDb();
    const g = new ReaderGuesses(db, { burst: 2, every: hour });
    g.recordGuess("in", 10 * hour);
    g.recordGuess("in", 10 * hour);
    expect(g.throttledUntil("in", 9 * hour)).toBeDefined();
    expect(g.throttledUntil("in", 100 * hour)).toBeUndefined();
    g.recordGuess("in", 100 * hour);
    g.recordGuess("in", 100 * hour);
    expect(g.throttledUntil("in", 100 * hour)).toBeDefined();
  });

  it("persists across a reopen and is off with burst 0", () => {
    const { db, path } = tempDb();
    const g = new ReaderGuesses(db, { burst: 1, every: hour });
    g.recordGuess("in", 0);
    db.close();
    const again = openDatabase(path);
    migrateGateState(again);
    expect(new ReaderGuesses(again, { burst: 1, every: hour }).throttledUntil("in", 1)).toBeDefined();
    const off = new ReaderGuesses(again, { burst: 0, every: hour });
    expect(off.recordGuess("in", 2)).toBe(false);
    expect(off.throttledUntil("in", 2)).toBeUndefined();
  });
});

describe("PresenceStore", () => {
  it("keeps the last passage per person and zone", () => {
    const { db } = tempDb();
    const p = new PresenceStore(db);
    expect(p.last("p-1", "campus")).toBeUndefined();
    p.record("p-1", "campus", "in", 1000);
    p.record("p-1", "library", "out", 1500);
    p.record("p-1", "campus", "out", 2000);
    expect(p.last("p-1", "campus")).toEqual({ direction: "out", at: 2000 });
    expect(p.last("p-1", "library")).toEqual({ direction: "out", at: 1500 });
  });
});

describe("ModeStore", () => {
  it("starts from the config's mode and then keeps the persisted one", () => {
    const { db, path } = tempDb();
    const m = ModeStore.load(db, { mode: "normal", since: 1, source: "config" });
    expect(m.get().mode).toBe("normal");
    m.set({ mode: "lockdown", since: 2, source: "cli" });
    db.close();
    const reopened = openDatabase(path);
    migrateGateState(reopened);
    expect(ModeStore.load(reopened, { mode: "normal", since: 3, source: "config" }).get()).toEqual({
      mode: "lockdown",
      since: 2,
      source: "cli",
    });
  });
});
