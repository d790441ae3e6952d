import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "./database.js";
import { WalCheckpointer } from "./wal-checkpointer.js";

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
});
