import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { StorageComponent } from "./components/storage.js";
import { startStorageGate, code as studentCode } from "./testing/storage-gate.js";

/** Tuesday 09:00:10 UTC, 10 s into its 30 s step. */
const NOW = Date.parse("2026-11-24T09:00:10Z");
const STEP = Math.floor(NOW / 30_000);

const started: StorageComponent[] = [];
afterEach(async () => {
  for (const storage of started.splice(0)) await storage.stop();
});

async function startGate(path: string, bootId: string, at: number) {
  const gate = await startStorageGate(path, bootId, at);
  started.push(gate.storage);
  return gate;
}

describe("a power cut right after a grant", () => {
  it("cannot make the granted code open again after the machine restarts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "passgate-power-cut-"));
    const before = await startGate(join(dir, "gate.db"), "boot-a", NOW);

    // What the disk holds at this moment. The start's run record was committed with an
    // fsync of the WAL, and the WAL is written in order, so every commit up to here is on
    // disk: a consistent copy of the database now is exactly what a power cut from here
    // on, before the next sync, leaves behind. (Copying the files after the grant could not
    // show the loss: the OS's cache gives the copy what the disk may never have received.)
    const onDisk = join(dir, "on-disk.db");
    await before.storage.stores.db.backup(onDisk);

    // The grant, committed with synchronous = NORMAL: in the OS's cache, not yet on disk.
    const code = studentCode("1001", STEP);
    expect(before.scan(code)).toBe("granted:ok");
    expect(before.scan(code)).toBe("denied:replayed");

    // The power comes back 5 s later: the machine boots anew and the gate starts on what
    // the disk held. Its replay table has lost the pair...
    const afterCut = join(dir, "after-cut.db");
    copyFileSync(onDisk, afterCut);
    const after = await startGate(afterCut, "boot-b", NOW + 5_000);
    // ...and still the code does not open twice; neither does any other code that could
    // have been used before the cut.
    expect(after.scan(code)).toBe("denied:replayed");
    expect(after.scan(studentCode("1002", STEP + 1))).toBe("denied:replayed");
    expect(after.logs.join("")).toContain("did not stop cleanly before the machine restarted");

    // A code first valid after the restart opens as usual: the gate refuses only the past.
    after.clock.set((STEP + 2) * 30_000 + 1_000);
    expect(after.scan(studentCode("1002", STEP + 2))).toBe("granted:ok");
  });

  it("proves the loss is real: the same disk image, started as if nothing was lost, opens the code again", async () => {
    // The control for the test above: without the run record's verdict the replay table
    // alone would let the code in. Starting the image in the same boot (a process crash,
    // where the OS keeps every write) skips the refusal, and the lost row shows.
    const dir = mkdtempSync(join(tmpdir(), "passgate-power-cut-"));
    const before = await startGate(join(dir, "gate.db"), "boot-a", NOW);
    const onDisk = join(dir, "on-disk.db");
    await before.storage.stores.db.backup(onDisk);
    const code = studentCode("1001", STEP);
    expect(before.scan(code)).toBe("granted:ok");
    const same = await startGate(onDisk, "boot-a", NOW + 5_000);
    expect(same.scan(code)).toBe("granted:ok");
  });

  it("refuses nothing after a clean stop, even across a reboot", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "passgate-power-cut-")), "gate.db");
    const first = await startGate(path, "boot-a", NOW);
    expect(first.scan(studentCode("1001", STEP))).toBe("granted:ok");
    await first.storage.stop();
    started.splice(started.indexOf(first.storage), 1);

    const next = await startGate(path, "boot-b", NOW + 5_000);
    expect(next.scan(studentCode("1001", STEP))).toBe("denied:replayed");
    expect(next.scan(studentCode("1002", STEP))).toBe("granted:ok");
    expect(next.logs.join("")).not.toContain("did not stop cleanly");
  });

  it("keeps refusing the old codes when the gate crashes again on the new boot", async () => {
    const dir = mkdtempSync(join(tmpdir(), "passgate-power-cut-"));
    const before = await startGate(join(dir, "gate.db"), "boot-a", NOW);
    const onDisk = join(dir, "on-disk.db");
    await before.storage.stores.db.backup(onDisk);
    const code = studentCode("1001", STEP);
    expect(before.scan(code)).toBe("granted:ok");

    const after = await startGate(onDisk, "boot-b", NOW + 5_000);
    // The process dies on the new boot (no clean stop); its own writes survive in the OS.
    const crashed = join(dir, "crashed.db");
    await after.storage.stores.db.backup(crashed);
    const again = await startGate(crashed, "boot-b", NOW + 8_000);
    expect(again.scan(code)).toBe("denied:replayed");
  });
});
