import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "../../platform/database/database.js";
import { TempDatabase } from "../../platform/testing/temp-database.js";
import { applyAllowlistBody } from "./apply-body.js";
import { RetiredAllowlistClearing } from "./retired-clearing.js";
import { SqliteAllowlistStore } from "./sqlite-allowlist-store.js";
import { RETIRED_PREFIX } from "./sqlite-retired-allowlists.js";
import { chunked, EXAMPLE_SITE, EXAMPLE_TRUST, putLines, signedBody } from "./testing/test-bodies.js";

const OPTIONS = { site: EXAMPLE_SITE, trustedKeys: EXAMPLE_TRUST, now: 1 };
/** Snapshot `to` of credentials `from`..`last`, as it streams in. */
const snapshot = (to: number, from: number, last: number) =>
  chunked(signedBody({ to }, putLines(from, last)), 64 * 1024);

/** A clearing of `store` with `gapMs` between steps that fails the test on any error. */
function clearingOf(
  store: Pick<SqliteAllowlistStore, "clearRetired">,
  gapMs: number,
): RetiredAllowlistClearing {
  return new RetiredAllowlistClearing(store, {
    now: () => 1,
    onError: (e) => {
      throw e;
    },
    gapMs,
  });
}

const database = new TempDatabase("passgate-retired-clearing-");
afterEach(() => database.close());

function retiredTables(db: Db): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]).filter(
    (n) => n.startsWith(RETIRED_PREFIX),
  );
}

/** A store whose v1 of 5,000 was replaced by v2, the apply leaving v1 to a clearing. */
async function storeWithRetired(db: Db): Promise<SqliteAllowlistStore> {
  const store = SqliteAllowlistStore.open(db);
  expect(await applyAllowlistBody(store, snapshot(1, 1, 5000), OPTIONS)).toMatchObject({
    ok: true,
  });
  expect(
    await applyAllowlistBody(store, snapshot(2, 10_001, 15_000), {
      ...OPTIONS,
      leaveRetired: true,
    }),
  ).toMatchObject({ ok: true, count: 5000 });
  return store;
}

describe("RetiredAllowlistClearing", () => {
  it("an apply that leaves them returns with the replaced allowlist still there, whole and out of force", async () => {
    const db = database.open();
    const store = await storeWithRetired(db);
    const [retired, ...more] = retiredTables(db);
    expect(more).toEqual([]);
    expect(db.prepare(`SELECT count(*) FROM ${retired}`).pluck().get()).toBe(5000);
    expect(store.get("1")).toBeUndefined();
    expect(store.get("10001")?.id).toBe("10001");
  });

  it("clears it a step at a time with the gap between steps, the event loop free between them", async () => {
    const db = database.open();
    const store = await storeWithRetired(db);
    let steps = 0;
    const counted = {
      clearRetired: (now: number) => {
        steps++;
        return store.clearRetired(now);
      },
    };
    const clearing = clearingOf(counted, 20);
    // Timers the clearing does not own keep running while it clears.
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    const started = Date.now();
    clearing.start();
    await clearing.whenIdle();
    const took = Date.now() - started;
    clearInterval(ticker);
    clearing.stop();
    expect(retiredTables(db)).toEqual([]);
    // The index, ten steps of 500 rows, the drop: 12 steps and a last look that finds nothing.
    expect(steps).toBe(13);
    expect(took).toBeGreaterThanOrEqual(11 * 20);
    expect(ticks).toBeGreaterThan(10);
    expect(store.stats()).toMatchObject({ version: 2, count: 5000 });
  });

  it("is woken by an apply after it went idle, and stops between two steps", async () => {
    const db = database.open();
    const store = SqliteAllowlistStore.open(db);
    const clearing = clearingOf(store, 20);
    clearing.start();
    await clearing.whenIdle();
    expect(await applyAllowlistBody(store, snapshot(1, 1, 5000), OPTIONS)).toMatchObject({
      ok: true,
    });
    expect(
      await applyAllowlistBody(store, snapshot(2, 10_001, 15_000), {
        ...OPTIONS,
        leaveRetired: true,
      }),
    ).toMatchObject({ ok: true });
    const [retired] = retiredTables(db);
    clearing.wake();
    const left = () => db.prepare(`SELECT count(*) FROM ${retired}`).pluck().get() as number;
    // Woken: it clears without waiting for its minute's look. Stopped once it has begun…
    const deadline = Date.now() + 10_000;
    while (left() === 5000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    clearing.stop();
    const atStop = left();
    expect(atStop).toBeLessThan(5000);
    expect(atStop).toBeGreaterThan(0);
    // …it takes no further step: the rest stays for the next start.
    await new Promise((r) => setTimeout(r, 200));
    expect(left()).toBe(atStop);
    const again = clearingOf(store, 1);
    again.start();
    await again.whenIdle();
    again.stop();
    expect(retiredTables(db)).toEqual([]);
  });

  it("reports a failed step and looks again later, the allowlist in force untouched", async () => {
    const db = database.open();
    const store = await storeWithRetired(db);
    const errors: unknown[] = [];
    let fail = true;
    const failing = {
      clearRetired: (now: number) => {
        if (fail) throw new Error("disk I/O error");
        return store.clearRetired(now);
      },
    };
    const clearing = new RetiredAllowlistClearing(failing, {
      now: () => 1,
      onError: (e) => errors.push(e),
      gapMs: 1,
    });
    clearing.start();
    await clearing.whenIdle();
    expect(errors).toHaveLength(1);
    expect(retiredTables(db)).toHaveLength(1);
    fail = false;
    clearing.wake();
    await clearing.whenIdle();
    clearing.stop();
    expect(retiredTables(db)).toEqual([]);
    expect(store.get("10001")?.id).toBe("10001");
  });
});
