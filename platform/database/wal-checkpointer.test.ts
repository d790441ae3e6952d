import { closeSync, mkdtempSync, openSync, readSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase, WAL_SIZE_LIMIT_BYTES } from "./database.js";
import { WalCheckpointer } from "./wal-checkpointer.js";

/** The WAL header's checkpoint sequence number (bytes 12–15): it grows each time the log starts over. */
function walRestarts(path: string): number {
  const header = Buffer.alloc(16);
  const fd = openSync(`${path}-wal`, "r");
  try {
    return readSync(fd, header, 0, 16, 0) === 16 ? header.readUInt32BE(12) : 0;
  } finally {
    closeSync(fd);
  }
}

/**
 * A database as the daemon runs it (automatic checkpoints off) with a `t (x BLOB)` table,
 * the checkpointer thread beside it every `intervalMs` with the given WAL bound, and what the
 * tests read: the WAL file's size and how often the log started over.
 */
function checkpointedDatabase(intervalMs: number, bound?: number, restartBackoffMs?: number) {
  const path = join(mkdtempSync(join(tmpdir(), "passgate-wal-")), "gate.db");
  const db = openDatabase(path);
  db.pragma("wal_autocheckpoint = 0");
  db.exec("CREATE TABLE t (x BLOB)");
  const outcomes: { outcome: "done" | "busy"; at: number }[] = [];
  const checkpointer = new WalCheckpointer(path, () => undefined, intervalMs, bound, {
    ...(restartBackoffMs === undefined ? {} : { restartBackoffMs }),
    onRestart: (outcome) => outcomes.push({ outcome, at: Date.now() }),
  });
  checkpointer.start();
  return {
    path,
    db,
    checkpointer,
    /** Each RESTART the thread tried, as it reported it. */
    outcomes,
    insert: db.prepare("INSERT INTO t VALUES (?)"),
    wal: () => statSync(`${path}-wal`).size,
    restarts: () => walRestarts(path),
  };
}

describe("WalCheckpointer", () => {
  it("copies committed pages from the WAL into the database file from its own thread", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "passgate-wal-")), "gate.db");
    const db = openDatabase(path);
    db.pragma("wal_autocheckpoint = 0");
    db.exec("CREATE TABLE t (x TEXT)");
    db.pragma("wal_checkpoint(TRUNCATE)");
    const before = statSync(path).size;
    const insert = db.prepare("INSERT INTO t VALUES (?)");
    for (let i = 0; i < 2000; i++) insert.run("x".repeat(200));
    // Auto-checkpoint is off: the rows are only in the WAL so far.
    expect(statSync(path).size).toBe(before);
    const errors: string[] = [];
    const checkpointer = new WalCheckpointer(path, (m) => errors.push(m), 50);
    checkpointer.start();
    const deadline = Date.now() + 5000;
    while (statSync(path).size === before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await checkpointer.stop();
    expect(statSync(path).size).toBeGreaterThan(before + 2000 * 200);
    expect(errors).toEqual([]);
    expect(db.prepare("SELECT count(*) FROM t").pluck().get()).toBe(2000);
    db.close();
  });

  it("keeps the daemon's WAL bounded: after a 40 MB import it is cut back to the limit once checkpointed", async () => {
    // As the daemon runs: automatic checkpoints off, the checkpointer thread beside it.
    const { db, checkpointer, insert, wal } = checkpointedDatabase(50);
    const big = Buffer.alloc(4096, 7);
    // One transaction as large as an import of ~150,000 credentials: the WAL must hold it whole.
    db.transaction(() => {
      for (let i = 0; i < 10_000; i++) insert.run(big);
    })();
    expect(wal()).toBeGreaterThan(2 * WAL_SIZE_LIMIT_BYTES);
    // Decisions go on; once the checkpointer has copied the import, the next commit restarts
    // the WAL and cuts it back. Without a limit it would stay at its 40 MB high-water mark.
    const deadline = Date.now() + 10_000;
    while (wal() > WAL_SIZE_LIMIT_BYTES && Date.now() < deadline) {
      insert.run(Buffer.alloc(100));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(wal()).toBeLessThanOrEqual(WAL_SIZE_LIMIT_BYTES);
    await checkpointer.stop();
    expect(db.prepare("SELECT count(*) FROM t").pluck().get()).toBeGreaterThan(10_000);
    db.close();
  });

  it("keeps the WAL of a gate that never stops writing bounded, once it is over the bound", async () => {
    const bound = 1024 * 1024;
    const { db, checkpointer, insert, wal } = checkpointedDatabase(50, bound);
    const row = Buffer.alloc(2000, 3);
    // Commits with no pause long enough for SQLite to start the log over by itself: with
    // PASSIVE checkpoints alone the WAL grows by every commit, here to the whole 20 MB written.
    // The run is measured in bytes written, not in seconds: on a loaded machine the writes
    // come slower, and a run of fixed length would write too little to tell the two apart.
    const total = 20 * bound;
    let largest = 0;
    let written = 0;
    const deadline = Date.now() + 60_000;
    while (written < total && Date.now() < deadline) {
      for (let i = 0; i < 5; i++) insert.run(row);
      written += 5 * row.length;
      largest = Math.max(largest, wal());
      // About a thousand commits a second, as scans come to a gate under a heavy bench.
      await new Promise((r) => setTimeout(r, 1));
    }
    await checkpointer.stop();
    expect(written).toBeGreaterThanOrEqual(total);
    // Over the bound by at most what is committed between two checks (50 ms here, longer when
    // a loaded machine runs the checkpointer's thread late; a check that comes so late that
    // more than the bound came since is taken for a bulk write, which may reach four times
    // the bound), never the whole run's writes as with PASSIVE checkpoints alone.
    expect(largest).toBeLessThan(12 * bound);
    expect(largest).toBeLessThan(written / 2);
    db.close();
  }, 90_000);

  it("starts the log over in the file's own blocks: the WAL is written over, not cut to nothing and grown again", async () => {
    const bound = 1024 * 1024;
    const { db, checkpointer, insert, wal, restarts } = checkpointedDatabase(50, bound);
    const row = Buffer.alloc(2000, 5);
    insert.run(row);
    const first = restarts();
    // Writes until the log has started over three times, noting the smallest size the file
    // had once it first passed the bound.
    let smallestAfterBound = Number.POSITIVE_INFINITY;
    let passed = false;
    const deadline = Date.now() + 60_000;
    while (restarts() - first < 3 && Date.now() < deadline) {
      for (let i = 0; i < 5; i++) insert.run(row);
      const size = wal();
      if (size > bound) passed = true;
      if (passed) smallestAfterBound = Math.min(smallestAfterBound, size);
      await new Promise((r) => setTimeout(r, 1));
    }
    await checkpointer.stop();
    expect(restarts() - first).toBeGreaterThanOrEqual(3);
    // Cut to 0 (a TRUNCATE), the file would have been seen far under the bound.
    expect(smallestAfterBound).toBeGreaterThan(bound);
    db.close();
  }, 90_000);

  it("lets the WAL of a bulk write grow to four times the bound before it starts it over, and no further", async () => {
    const bound = 4 * 1024 * 1024;
    const { db, checkpointer, insert, wal, restarts } = checkpointedDatabase(250, bound);
    const row = Buffer.alloc(4000, 9);
    const batch = () =>
      db.transaction(() => {
        for (let i = 0; i < 256; i++) insert.run(row);
      })();
    batch();
    const first = restarts();
    // As a snapshot is staged: batches of 1 MB in short transactions at 22 MB a second (about
    // 5.5 MB between two checks: more than the bound, less than twice it), with the event loop
    // turning between them; until the log has started over twice.
    let largest = 0;
    let written = 0;
    const start = Date.now();
    const deadline = start + 60_000;
    while (restarts() - first < 2 && Date.now() < deadline) {
      if (written < ((Date.now() - start) / 1000) * 22 * 1024 * 1024) {
        batch();
        written += 256 * row.length;
        largest = Math.max(largest, wal());
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await checkpointer.stop();
    expect(restarts() - first).toBeGreaterThanOrEqual(2);
    // Past the bound: a RESTART as soon as the bound was passed would have held the writes
    // at nearly every check, with the WAL at about the bound plus one check's writes…
    expect(largest).toBeGreaterThan(3.5 * bound);
    // …but started over all the same, at four times the bound plus what came before the check.
    expect(largest).toBeLessThan(10 * bound);
    db.close();
  }, 90_000);
  it("tries a RESTART that a long write kept from finishing again at the next check, not after the whole back-off", async () => {
    const bound = 1024 * 1024;
    // A back-off far longer than the test: only the first, short wait can let it pass.
    const { db, checkpointer, insert, outcomes, restarts } = checkpointedDatabase(100, bound, 60_000);
    const row = Buffer.alloc(4000, 1);
    const first = restarts();
    for (let i = 0; i < 600; i++) insert.run(row);
    // The gate's write transaction is open, the WAL over the bound, when the thread's checks
    // come: each RESTART waits its 50 ms for the write lock and gives up.
    db.exec("BEGIN IMMEDIATE");
    insert.run(row);
    const deadline = Date.now() + 20_000;
    while (!outcomes.some((o) => o.outcome === "busy") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    db.exec("COMMIT");
    const committedAt = Date.now();
    const doneAfter = () => outcomes.find((o) => o.outcome === "done" && o.at >= committedAt);
    while (doneAfter() === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    insert.run(row);
    await checkpointer.stop();
    expect(outcomes.some((o) => o.outcome === "busy" && o.at <= committedAt)).toBe(true);
    const done = doneAfter();
    expect(done).toBeDefined();
    // Well within the 60 s back-off: the next check or the one after.
    expect(done?.at).toBeLessThan(committedAt + 10_000);
    expect(restarts()).toBeGreaterThan(first);
    db.close();
  }, 30_000);

  it("waits longer and longer between RESTARTs while a reader holds the log, and starts it over once the reader is done", async () => {
    const bound = 1024 * 1024;
    const { path, db, checkpointer, insert, outcomes } = checkpointedDatabase(50, bound, 400);
    const row = Buffer.alloc(4000, 2);
    insert.run(row);
    // A reader (a backup, an export) in a read transaction: the log cannot start over under it.
    const reader = openDatabase(path, { readonly: true });
    reader.exec("BEGIN");
    reader.prepare("SELECT count(*) FROM t").pluck().get();
    for (let i = 0; i < 600; i++) insert.run(row);
    const heldFrom = Date.now();
    const deadline = heldFrom + 20_000;
    while (outcomes.filter((o) => o.outcome === "busy").length < 6 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const busy = outcomes.filter((o) => o.outcome === "busy");
    expect(busy.length).toBeGreaterThanOrEqual(6);
    const gaps = busy.slice(1).map((o, i) => o.at - (busy[i] as { at: number }).at);
    // The waits after the first retry: 100, 200, then the 400 ms back-off (750 ms at least
    // over the six tries); a try at every check would have put them 50 ms apart throughout.
    expect((busy[5] as { at: number }).at - (busy[0] as { at: number }).at).toBeGreaterThanOrEqual(700);
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(350);
    expect(outcomes.some((o) => o.outcome === "done")).toBe(false);
    reader.exec("COMMIT");
    reader.close();
    while (!outcomes.some((o) => o.outcome === "done") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await checkpointer.stop();
    expect(outcomes.some((o) => o.outcome === "done")).toBe(true);
    db.close();
  }, 30_000);
});
