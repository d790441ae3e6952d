import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "../../platform/database/database.js";
import { TempDatabase } from "../../platform/testing/temp-database.js";
import { applyAllowlistBody } from "./apply-body.js";
import { credentialSchema } from "./credential.js";
import { SNAPSHOT_STAGING_PREFIX } from "./sqlite-allowlist-staging.js";
import { SqliteAllowlistStore } from "./sqlite-allowlist-store.js";
import { RETIRED_PREFIX } from "./sqlite-retired-allowlists.js";
import {
  chunked,
  EXAMPLE_SITE,
  EXAMPLE_TRUST,
  freshKey,
  putLine,
  registryCredential,
  signedBody,
} from "./testing/test-bodies.js";

const OPTIONS = { site: EXAMPLE_SITE, trustedKeys: EXAMPLE_TRUST, now: 1 };
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const database = new TempDatabase("passgate-snapshot-");
afterEach(() => database.close());

/** Tables of the allowlist beside the one in force: staging and retired ones. */
function sideTables(db: Db): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]).filter(
    (name) => name.startsWith(SNAPSHOT_STAGING_PREFIX) || name.startsWith(RETIRED_PREFIX),
  );
}

function rows(db: Db, table: string): number {
  return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
}

/** Snapshot `to` of the ids given, each with `fields`. */
function snapshot(to: number, ids: readonly number[], fields: object = {}): string {
  return signedBody(
    { to },
    ids.map((id) => putLine(registryCredential(id, fields))),
  );
}

/** A store holding snapshot v1 of credentials 1..3000. */
async function storeWithV1(db: Db): Promise<SqliteAllowlistStore> {
  const store = SqliteAllowlistStore.open(db);
  const result = await applyAllowlistBody(store, chunked(snapshot(1, range(1, 3000)), 64 * 1024), OPTIONS);
  expect(result).toMatchObject({ ok: true, count: 3000 });
  return store;
}

describe("a snapshot staged in steps and switched at once", () => {
  it("answers from the allowlist in force, here and in another connection, until the switch; then from the new one", async () => {
    const db = database.open();
    const store = await storeWithV1(db);
    const other = SqliteAllowlistStore.open(database.open());
    // v2 drops 1..2000, keeps 2001..3000 as staff, adds 3001..6000.
    const body = Buffer.from(snapshot(2, range(2001, 6000), { roles: ["staff"] }));
    const looks: { staged: number; one: boolean; five: boolean; version: number | null }[] = [];
    async function* paused(): AsyncGenerator<Buffer> {
      for (let at = 0; at < body.length; at += 32 * 1024) {
        yield body.subarray(at, at + 32 * 1024);
        const [staging] = sideTables(db);
        for (const s of [store, other]) {
          looks.push({
            staged: staging === undefined ? 0 : rows(db, staging),
            one: s.get("1") !== undefined,
            five: s.get("5000") !== undefined,
            version: s.stats().version,
          });
        }
      }
    }
    const result = await applyAllowlistBody(store, paused(), OPTIONS);
    expect(result).toMatchObject({ ok: true, to: 2, count: 4000 });
    // Looked at while thousands of the new rows were already written in their table.
    const midway = looks.filter((l) => l.staged > 1000);
    expect(midway.length).toBeGreaterThan(4);
    for (const look of midway) expect(look).toMatchObject({ one: true, five: false, version: 1 });
    for (const s of [store, other]) {
      expect(s.get("1")).toBeUndefined();
      expect(s.get("2500")?.roles).toEqual(["staff"]);
      expect(s.get("5000")).toStrictEqual(
        credentialSchema.parse(registryCredential(5000, { roles: ["staff"] })),
      );
      expect(s.stats()).toMatchObject({ version: 2, count: 4000 });
    }
    // The replaced allowlist was cleared before the apply returned.
    expect(sideTables(db)).toEqual([]);
  });

  it.each([
    ["a bad line three quarters through", "bad_record"],
    ["a signature by a key the gate does not trust", "unknown_key"],
    ["a body cut after most of its records", "missing_trailer"],
  ])("keeps the allowlist in force whole after %s, and clears what was staged", async (what, reason) => {
    const db = database.open();
    const store = await storeWithV1(db);
    const records = range(3001, 7000).map((id) => putLine(registryCredential(id)));
    let body: string;
    if (what.startsWith("a bad line")) {
      records[3000] = putLine(registryCredential(6001, { status: "lost" }));
      body = signedBody({ to: 2 }, records);
    } else if (what.startsWith("a signature")) {
      body = signedBody({ to: 2 }, records, freshKey().privateKey, "someone-else");
    } else {
      body = signedBody({ to: 2 }, records);
      body = body.slice(0, body.lastIndexOf("\n", body.length - 2) + 1);
    }
    const result = await applyAllowlistBody(store, chunked(body, 16 * 1024), OPTIONS);
    expect(result).toMatchObject({ ok: false, reason });
    expect(store.stats()).toMatchObject({ version: 1, count: 3000 });
    for (const id of range(1, 3000)) expect(store.get(String(id))?.id).toBe(String(id));
    expect(store.get("3001")).toBeUndefined();
    expect(sideTables(db)).toEqual([]);
  });

  it("retires the allowlist it replaces and clears it in bounded steps, the new one whole throughout", () => {
    const db = database.open();
    const store = SqliteAllowlistStore.open(db);
    const cred = (id: number) => credentialSchema.parse(registryCredential(id));
    const first = store.stage("snapshot", 0);
    for (const id of range(1, 3000)) first.put(cred(id));
    expect(first.commit({ site: EXAMPLE_SITE, version: 1, issuedAt: 1, syncedAt: 1 })).toBe(3000);
    const second = store.stage("snapshot", 0);
    for (const id of range(5001, 8000)) second.put(cred(id));
    expect(second.commit({ site: EXAMPLE_SITE, version: 2, issuedAt: 2, syncedAt: 2 })).toBe(3000);

    const [retired, ...more] = sideTables(db);
    expect(more).toEqual([]);
    expect(retired?.startsWith(RETIRED_PREFIX)).toBe(true);
    expect(rows(db, retired!)).toBe(3000);
    const left: number[] = [];
    while (store.clearRetired(0)) {
      left.push(sideTables(db).length === 0 ? 0 : rows(db, retired!));
      expect(store.get("5001")).toStrictEqual(cred(5001));
      expect(store.get("1")).toBeUndefined();
    }
    // The id index first, then 500 rows a step, then the empty table.
    expect(left).toEqual([3000, 2500, 2000, 1500, 1000, 500, 0, 0]);
    expect(sideTables(db)).toEqual([]);
    expect(store.stats()).toMatchObject({ version: 2, count: 3000 });
  });

  it("never clears the staging table an apply is filling, however old its name says it is", () => {
    const db = database.open();
    const store = SqliteAllowlistStore.open(db);
    const cred = (id: number) => credentialSchema.parse(registryCredential(id));
    // Begun "in 1970": a clock stepped forward by decades since, as a board's that booted
    // with no time. A staging table that old with no apply behind it was left by a crash.
    const staging = store.stage("snapshot", 1);
    for (const id of range(1, 3000)) staging.put(cred(id));
    expect(store.clearRetired(Date.now())).toBe(false);
    expect(staging.commit({ site: EXAMPLE_SITE, version: 1, issuedAt: 1, syncedAt: 1 })).toBe(3000);
    expect(store.get("2999")).toStrictEqual(cred(2999));
    // Discarded, it is a table like any other: cleared.
    const next = store.stage("snapshot", 1);
    for (const id of range(5001, 8000)) next.put(cred(id));
    next.discard();
    expect(sideTables(db)).toHaveLength(1);
    while (store.clearRetired(Date.now()));
    expect(sideTables(db)).toEqual([]);
    expect(store.stats()).toMatchObject({ version: 1, count: 3000 });
  });

  it("leaves the clearing to the next apply once its signal is aborted (a stopping gate does not wait)", async () => {
    const db = database.open();
    const store = await storeWithV1(db);
    const stopping = AbortSignal.abort();
    const v2 = snapshot(2, range(5001, 8000));
    expect(
      await applyAllowlistBody(store, chunked(v2, 64 * 1024), { ...OPTIONS, signal: stopping }),
    ).toMatchObject({ ok: true, count: 3000 });
    const [retired] = sideTables(db);
    expect(retired?.startsWith(RETIRED_PREFIX)).toBe(true);
    expect(store.get("5001")?.id).toBe("5001");
    const v3 = signedBody({ kind: "delta", from: 2, to: 3 }, [putLine(registryCredential(1))]);
    expect(await applyAllowlistBody(store, chunked(v3, 1024), OPTIONS)).toMatchObject({
      ok: true,
      count: 3001,
    });
    expect(sideTables(db)).toEqual([]);
  });

  it("drops later puts' earlier values and dels inside one snapshot, counting exactly", () => {
    const store = SqliteAllowlistStore.open(database.open());
    const staging = store.stage("snapshot", 0);
    const cred = (id: number, fields: object = {}) => credentialSchema.parse(registryCredential(id, fields));
    for (const id of range(1, 1000)) staging.put(cred(id));
    staging.put(cred(7, { roles: ["staff"] }));
    staging.del("8");
    staging.del("99999");
    staging.put(cred(8, { roles: ["guest"] }));
    staging.del("9");
    expect(staging.commit({ site: EXAMPLE_SITE, version: 1, issuedAt: 1, syncedAt: 1 })).toBe(999);
    expect(store.get("7")?.roles).toEqual(["staff"]);
    expect(store.get("8")?.roles).toEqual(["guest"]);
    expect(store.get("9")).toBeUndefined();
    expect(store.stats().count).toBe(999);
  });

  it("gives the event loop turns while a large body applies, even when it arrives in one chunk", async () => {
    const store = SqliteAllowlistStore.open(database.open());
    const body = Buffer.from(snapshot(1, range(1, 20_000)));
    let turns = 0;
    let applying = true;
    const tick = () => {
      turns++;
      if (applying) setImmediate(tick);
    };
    setImmediate(tick);
    const result = await applyAllowlistBody(store, chunked(body, body.length), OPTIONS);
    applying = false;
    expect(result).toMatchObject({ ok: true, count: 20_000 });
    // Without turns the whole body would be checked and staged before `tick` ran a second time.
    expect(turns).toBeGreaterThan(20);
  });
});
