import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "./database.js";
import { databaseFiles } from "./private-files.js";

let dir: string;
let umask: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "passgate-private-"));
  umask = process.umask(0o022);
});
afterEach(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

const modeOf = (file: string) => statSync(file).mode & 0o777;

describe("the database's files are private to their owner", () => {
  it("a new database and its -wal and -shm are 0600 under umask 022 (SQLite alone: 0644)", () => {
    const path = join(dir, "gate.db");
    const db = openDatabase(path);
    db.exec("CREATE TABLE secrets (k TEXT) STRICT");
    db.prepare("INSERT INTO secrets VALUES (?)").run("JBSWY3DPEHPK3PXP");
    for (const file of databaseFiles(path)) {
      expect(existsSync(file), file).toBe(true);
      expect(modeOf(file), file).toBe(0o600);
    }
    db.close();
  });

  it("narrows a database an older passgate left readable, -wal and -shm included", () => {
    const path = join(dir, "old.db");
    const first = openDatabase(path);
    first.exec("CREATE TABLE t (k TEXT) STRICT");
    first.close();
    chmodSync(path, 0o644);
    const db = openDatabase(path);
    db.prepare("INSERT INTO t VALUES ('x')").run();
    for (const file of databaseFiles(path)) expect(modeOf(file), file).toBe(0o600);
    db.close();
  });

  it("a read-only open changes nothing", () => {
    const path = join(dir, "ro.db");
    openDatabase(path).close();
    chmodSync(path, 0o640);
    openDatabase(path, { readonly: true }).close();
    expect(modeOf(path)).toBe(0o640);
  });
});
