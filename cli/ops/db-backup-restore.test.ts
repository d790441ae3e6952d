import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { StorageComponent } from "../../app/components/storage.js";
import { startStorageGate, code as studentCode } from "../../app/testing/storage-gate.js";
import { backupDatabase } from "./db-backup.js";

const NOW = Date.parse("2026-11-24T09:00:10Z");
const STEP = Math.floor(NOW / 30_000);

const started: StorageComponent[] = [];
afterEach(async () => {
  for (const storage of started.splice(0)) await storage.stop();
});

describe("a gate restored from passgate db backup", () => {
  it("refuses a code granted after the copy was made, although the copy has no row of it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "passgate-restore-"));
    const live = await startStorageGate(join(dir, "gate.db"), "boot-a", NOW);
    started.push(live.storage);
    const copy = join(dir, "backup.db");
    await backupDatabase(live.storage.stores.db, copy, false);

    // Granted after the copy: the copy does not know it was used.
    const code = studentCode("1001", STEP);
    expect(live.scan(code)).toBe("granted:ok");

    // Restored and started a few seconds later on the same boot, as an operator would
    // after a broken disk: the copy's record says "cut off, boot unknown", so the gate
    // starts as after a power cut and the code does not open a second time.
    const restored = await startStorageGate(copy, "boot-a", NOW + 5_000);
    started.push(restored.storage);
    expect(restored.scan(code)).toBe("denied:replayed");
    // Codes first valid after the restart open.
    restored.clock.set((STEP + 2) * 30_000 + 1_000);
    expect(restored.scan(studentCode("1002", STEP + 2))).toBe("granted:ok");
  });
});
