import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { configSchema } from "../../config/schema.js";
import { applyAllowlistBody } from "../../daemon/allowlist/apply-body.js";
import { RETIRED_PREFIX } from "../../daemon/allowlist/sqlite-retired-allowlists.js";
import {
  chunked,
  EXAMPLE_SITE,
  EXAMPLE_TRUST,
  putLines,
  signedBody,
} from "../../daemon/allowlist/testing/test-bodies.js";
import { systemClock } from "../../platform/clock.js";
import type { Db } from "../../platform/database/database.js";
import { createLogger } from "../../platform/log/logger.js";
import { until } from "../../test/fixtures/sync-fixture.js";
import { RetiredAllowlistsComponent } from "./retired-allowlists.js";
import { StorageComponent } from "./storage.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Snapshot `to` of 3,000 credentials from `from` on, as it streams in. */
const snapshot = (to: number, from: number) =>
  chunked(signedBody({ to }, putLines(from, from + 2999)), 64 * 1024);
// `now: 1` names each staging table as begun in 1970, as a board whose clock stepped forward
// by decades mid-apply would: the clearing beside it must still leave the apply's own alone
// (before it did not, the apply failed, or switched in a table it had half cleared).
const OPTIONS = { site: EXAMPLE_SITE, trustedKeys: EXAMPLE_TRUST, now: 1, leaveRetired: true };

function retired(db: Db): number {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]).filter(
    (n) => n.startsWith(RETIRED_PREFIX),
  ).length;
}

describe("RetiredAllowlistsComponent", () => {
  it("clears at its start what a gate stopped before clearing left, and what an apply leaves once woken", async () => {
    const dir = mkdtempSync(join(tmpdir(), "passgate-retired-"));
    dirs.push(dir);
    const config = configSchema.parse({
      site: EXAMPLE_SITE,
      gate: "g",
      timezone: "UTC",
      storage: { path: join(dir, "gate.db") },
    });
    const base = { clock: systemClock, logger: createLogger({ level: "silent" }) };

    // A life that applied two snapshots and stopped before anything cleared the first.
    const first = new StorageComponent(config, base);
    await first.start();
    const store = first.stores.allowlist;
    expect(await applyAllowlistBody(store, snapshot(1, 1), OPTIONS)).toMatchObject({ ok: true });
    expect(await applyAllowlistBody(store, snapshot(2, 10_001), OPTIONS)).toMatchObject({ ok: true });
    expect(retired(first.stores.db)).toBe(1);
    await first.stop();

    const storage = new StorageComponent(config, base);
    await storage.start();
    const clearing = new RetiredAllowlistsComponent(storage, base);
    await clearing.start();
    try {
      const { db, allowlist } = storage.stores;
      await until(() => retired(db) === 0, 20_000);
      expect(retired(db)).toBe(0);
      expect(allowlist.stats()).toMatchObject({ version: 2, count: 3000 });

      // The next snapshot leaves the one it replaced; the wake clears it without waiting for
      // the clearing's minute-long idle look.
      expect(await applyAllowlistBody(allowlist, snapshot(3, 20_001), OPTIONS)).toMatchObject({
        ok: true,
      });
      expect(retired(db)).toBe(1);
      clearing.wake();
      await until(() => retired(db) === 0, 20_000);
      expect(retired(db)).toBe(0);
      expect(allowlist.get("20001")?.id).toBe("20001");
    } finally {
      await clearing.stop();
      await storage.stop();
    }
  });
});
