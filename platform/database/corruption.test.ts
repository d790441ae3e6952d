import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { overwritePages } from "../testing/overwrite-pages.js";
import { isCorruptionError, quickCheck } from "./corruption.js";
import { openDatabase } from "./database.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A closed database file of a few hundred pages: one table with an index, 20,000 rows. */
function sampleFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "passgate-corrupt-"));
  dirs.push(dir);
  const path = join(dir, "sample.db");
  const db = openDatabase(path);
  db.exec(
    "CREATE TABLE t (id INTEGER PRIMARY KEY, person TEXT NOT NULL); CREATE INDEX t_person ON t(person)",
  );
  const insert = db.prepare("INSERT INTO t (person) VALUES (?)");
  db.transaction(() => {
    for (let i = 0; i < 20_000; i++) insert.run(`p-${i}-${"x".repeat(20)}`);
  })();
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  return path;
}

describe("quickCheck and isCorruptionError", () => {
  it("a whole file is ok", () => {
    const db = openDatabase(sampleFile());
    try {
      expect(quickCheck(db)).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it.each([1, 2, 3])(
    "six random pages overwritten (seed %i): found, and reading the table fails SQLITE_CORRUPT",
    (seed) => {
      const path = sampleFile();
      const pages = overwritePages(path, 6, seed);
      expect(new Set(pages).size).toBe(6);
      expect(Math.min(...pages)).toBeGreaterThanOrEqual(2);
      expect(overwritePages(sampleFile(), 6, seed)).toEqual(pages);
      const db = openDatabase(path, { readonly: true });
      try {
        expect(quickCheck(db)).toEqual(expect.any(String));
        let thrown: unknown;
        try {
          db.prepare("SELECT count(*), sum(length(person)) FROM t NOT INDEXED").get();
          db.prepare("SELECT count(*) FROM t INDEXED BY t_person WHERE person > ''").get();
        } catch (err) {
          thrown = err;
        }
        // Either read may survive by luck of where the noise fell; when one fails, it says corrupt.
        if (thrown !== undefined) expect(isCorruptionError(thrown)).toBe(true);
      } finally {
        db.close();
      }
    },
  );

  it("tells corruption from the errors that pass", () => {
    expect(isCorruptionError(Object.assign(new Error("x"), { code: "SQLITE_CORRUPT" }))).toBe(true);
    expect(isCorruptionError(Object.assign(new Error("x"), { code: "SQLITE_CORRUPT_INDEX" }))).toBe(true);
    expect(isCorruptionError(Object.assign(new Error("x"), { code: "SQLITE_NOTADB" }))).toBe(true);
    expect(isCorruptionError(Object.assign(new Error("x"), { code: "SQLITE_BUSY" }))).toBe(false);
    expect(isCorruptionError(Object.assign(new Error("x"), { code: "SQLITE_FULL" }))).toBe(false);
    expect(isCorruptionError(new Error("database disk image is malformed"))).toBe(false);
    expect(isCorruptionError(null)).toBe(false);
  });
});
