import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { configSchema } from "../../config/schema.js";
import { systemClock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import { StorageComponent } from "./storage.js";

/**
 * A gate killed under load (kill -9, a power cut) leaves its WAL behind; 200 such restarts
 * once left a 159 MB WAL beside an 18 MB database. The writer here is a real process that
 * writes in WAL mode with automatic checkpoints off, as the daemon does, and kills itself
 * with SIGKILL: what it leaves on disk is what a killed gate leaves.
 */
const KILLED_WRITER = `
const Database = require(process.argv[1]);
const db = new Database(process.argv[2]);
db.pragma("journal_mode = WAL");
db.pragma("wal_autocheckpoint = 0");
db.exec("CREATE TABLE IF NOT EXISTS load (x BLOB)");
const insert = db.prepare("INSERT INTO load VALUES (?)");
const row = Buffer.alloc(4096, 1);
for (let i = 0; i < Number(process.argv[3]); i++) insert.run(row);
process.kill(process.pid, "SIGKILL");
`;

const driver = createRequire(import.meta.url).resolve("better-sqlite3");
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function killedUnderLoad(path: string, rows: number): void {
  const child = spawnSync(process.execPath, ["-e", KILLED_WRITER, driver, path, String(rows)]);
  expect(child.signal).toBe("SIGKILL");
}

describe("StorageComponent: the WAL stays bounded across crashes", () => {
  it("empties a WAL a killed gate left, at every start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "passgate-storage-"));
    dirs.push(dir);
    const path = join(dir, "gate.db");
    const config = configSchema.parse({ site: "s", gate: "g", timezone: "UTC", storage: { path } });
    const wal = () => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
    const afterStart: number[] = [];
    let rows = 0;
    for (let cycle = 0; cycle < 8; cycle++) {
      // ~2 MB of commits per life, each life killed before it could checkpoint.
      killedUnderLoad(path, 500);
      rows += 500;
      expect(wal()).toBeGreaterThan(2_000_000);
      const storage = new StorageComponent(config, {
        clock: systemClock,
        logger: createLogger({ level: "silent" }),
      });
      await storage.start();
      afterStart.push(wal());
      // Nothing a killed life committed is lost by emptying its WAL.
      expect(storage.stores.db.prepare("SELECT count(*) FROM load").pluck().get()).toBe(rows);
      await storage.stop();
      expect(wal()).toBe(0);
    }
    // Started with the crash's WAL copied into the database and cut to nothing (the start's
    // own few commits aside), however many lives were killed before.
    for (const size of afterStart) expect(size).toBeLessThan(256 * 1024);
  });
});
