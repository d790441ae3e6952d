import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../platform/database/database.js";
import { migrateGateState } from "./gate-state-schema.js";
import { ReplayGuard } from "./replay-guard.js";
import {
  type PreviousRun,
  readPreviousRun,
  recordCleanStop,
  recordRunStart,
  replayLossBound,
} from "./run-record.js";

const NOW = Date.parse("2026-11-24T09:00:15Z");
const run = (over: Partial<PreviousRun>): PreviousRun => ({
  bootId: "boot-a",
  startedAt: NOW - 3_600_000,
  clean: false,
  lostUpTo: null,
  ...over,
});
const start = { bootId: "boot-a", now: NOW, lastJournalAt: NOW - 60_000 };

describe("replayLossBound", () => {
  it.each([
    [
      "no record: a fresh database, or an older passgate's that the upgrade stopped",
      undefined,
      start,
      undefined,
    ],
    ["a clean stop", run({ clean: true }), start, undefined],
    ["a crash of the process on this boot: the OS kept its writes", run({}), start, undefined],
    ["an unclean stop before a reboot: up to this start", run({}), { ...start, bootId: "boot-b" }, NOW],
    ["an unclean stop on an unknown boot", run({ bootId: null }), { ...start, bootId: null }, NOW],
    [
      "a clock that reads earlier than the newest entry (no RTC yet): up to that entry",
      run({}),
      { ...start, bootId: "boot-b", lastJournalAt: NOW + 600_000 },
      NOW + 600_000,
    ],
    [
      "a clean stop keeps a bound still in force",
      run({ clean: true, lostUpTo: NOW - 5_000 }),
      start,
      NOW - 5_000,
    ],
    ["a same-boot crash keeps a bound still in force", run({ lostUpTo: NOW - 5_000 }), start, NOW - 5_000],
  ] as const)("%s", (_name, previous, now, expected) => {
    expect(replayLossBound(previous, now)).toBe(expected);
  });
});

describe("the run record on disk", () => {
  it("says unclean from the start until a clean stop, and commits the start with FULL without changing the connection", () => {
    const path = join(mkdtempSync(join(tmpdir(), "passgate-run-record-")), "gate.db");
    const db = openDatabase(path);
    migrateGateState(db);
    expect(readPreviousRun(db)).toBeUndefined();
    recordRunStart(db, { bootId: "boot-a", startedAt: NOW, lostUpTo: NOW - 1 });
    expect(db.pragma("synchronous", { simple: true })).toBe(1);
    db.close();

    // A reader that never saw the clean stop (the writer was cut off) finds "running".
    const reopened = openDatabase(path);
    expect(readPreviousRun(reopened)).toEqual({
      bootId: "boot-a",
      startedAt: NOW,
      clean: false,
      lostUpTo: NOW - 1,
    });
    recordCleanStop(reopened);
    expect(readPreviousRun(reopened)?.clean).toBe(true);
    recordRunStart(reopened, { bootId: "boot-b", startedAt: NOW + 1, lostUpTo: undefined });
    expect(readPreviousRun(reopened)).toEqual({
      bootId: "boot-b",
      startedAt: NOW + 1,
      clean: false,
      lostUpTo: null,
    });
    reopened.close();
  });
});

describe("ReplayGuard.possiblyLost", () => {
  it("counts as used every step that could have verified by the bound, and none after", () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), "passgate-run-record-")), "gate.db"));
    migrateGateState(db);
    const guard = new ReplayGuard(db);
    const step = Math.floor(NOW / 30_000);
    expect(guard.possiblyLost(step, 30, 1)).toBe(false);
    guard.assumeLostUpTo(NOW);
    // With a window of 1, step s verifies from the start of step s - 1 on: at NOW, steps up
    // to step + 1 could already open the gate; step + 2 only from the next step on.
    expect(guard.possiblyLost(step - 1, 30, 1)).toBe(true);
    expect(guard.possiblyLost(step + 1, 30, 1)).toBe(true);
    expect(guard.possiblyLost(step + 2, 30, 1)).toBe(false);
    // A 60 s credential's steps are counted in its own period.
    const step60 = Math.floor(NOW / 60_000);
    expect(guard.possiblyLost(step60 + 1, 60, 1)).toBe(true);
    expect(guard.possiblyLost(step60 + 2, 60, 1)).toBe(false);
    // The table is not touched: nothing was accepted.
    expect(guard.seen("1001", step)).toBe(false);
    db.close();
  });
});
