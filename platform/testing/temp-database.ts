import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, openDatabase } from "../database/database.js";

/**
 * One gate database file in a temp folder of its own, made at the first `open()`. Each
 * `open()` is another connection to the same file (as the daemon and a CLI command beside
 * it would be); `close()` closes every one and removes the folder, ready for the next test.
 */
export class TempDatabase {
  private dir = "";
  private readonly dbs: Db[] = [];

  /** `prefix`: the temp folder's name before its random part, to tell the tests' leftovers apart. */
  constructor(private readonly prefix: string) {}

  open(): Db {
    if (this.dir === "") this.dir = mkdtempSync(join(tmpdir(), this.prefix));
    const db = openDatabase(join(this.dir, "gate.db"));
    this.dbs.push(db);
    return db;
  }

  /** Closes `db` (one of this file's connections) and opens the file again, as a restart does. */
  reopen(db: Db): Db {
    db.close();
    this.dbs.splice(this.dbs.indexOf(db), 1);
    return this.open();
  }

  close(): void {
    for (const db of this.dbs.splice(0)) db.close();
    if (this.dir !== "") rmSync(this.dir, { recursive: true, force: true });
    this.dir = "";
  }
}
