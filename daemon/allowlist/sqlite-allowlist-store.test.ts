import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "../../platform/database/database.js";
import { TempDatabase } from "../../platform/testing/temp-database.js";
import { AllowlistChangedError } from "./allowlist-store.js";
import { applyAllowlistBody } from "./apply-body.js";
import { type Credential, credentialSchema } from "./credential.js";
import { CREDENTIAL_TABLE, SNAPSHOT_STAGING_PREFIX } from "./sqlite-allowlist-staging.js";
import { SqliteAllowlistStore } from "./sqlite-allowlist-store.js";
import { FakeAllowlistStore } from "./testing/fake-allowlist-store.js";
import {
  chunked,
  EXAMPLE_SITE,
  EXAMPLE_TEXT,
  EXAMPLE_TRUST,
  putLine,
  registryCredential,
  signedBody,
} from "./testing/test-bodies.js";

const credential = (id: number, fields: object = {}): Credential =>
  credentialSchema.parse(registryCredential(id, fields));
const META = { site: "s", version: 1, issuedAt: 10, syncedAt: 20 };

const database = new TempDatabase("passgate-allowlist-");
afterEach(() => database.close());

function tables(db: Db): string[] {
  return db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .pluck()
    .all() as string[];
}

describe("SqliteAllowlistStore", () => {
  it("starts empty", () => {
    const store = SqliteAllowlistStore.open(database.open());
    expect(store.stats()).toEqual({ site: null, version: null, count: 0, issuedAt: null, syncedAt: null });
    expect(store.get("1")).toBeUndefined();
  });

  it("keeps answering from the allowlist in force while an update is staged", () => {
    const store = SqliteAllowlistStore.open(database.open());
    const first = store.stage("snapshot", 0);
    first.put(credential(1));
    expect(first.commit(META)).toBe(1);

    const staging = store.stage("snapshot", 0);
    for (let i = 2; i < 10_000; i++) staging.put(credential(i));
    expect(store.get("1")).toStrictEqual(credential(1));
    expect(store.get("2")).toBeUndefined();
    expect(store.stats()).toMatchObject({ version: 1, count: 1 });
    expect(staging.commit({ ...META, version: 2 })).toBe(9_998);
    expect(store.get("1")).toBeUndefined();
    expect(store.get("9999")).toStrictEqual(credential(9999));
    expect(store.stats()).toEqual({ site: "s", version: 2, count: 9_998, issuedAt: 10, syncedAt: 20 });
  });

  it("is seen by another connection to the same file once committed", async () => {
    const writer = SqliteAllowlistStore.open(database.open());
    const reader = SqliteAllowlistStore.open(database.open());
    const result = await applyAllowlistBody(writer, chunked(EXAMPLE_TEXT, 100), {
      site: EXAMPLE_SITE,
      trustedKeys: EXAMPLE_TRUST,
      now: 1,
    });
    expect(result.ok).toBe(true);
    expect(reader.stats()).toMatchObject({ version: 7, count: 4 });
    expect(reader.get("1001")?.person).toBe("p-1001");
  });

  it("leaves no staging table behind, committed or discarded", async () => {
    const db = database.open();
    const store = SqliteAllowlistStore.open(db);
    const before = tables(db);
    const discarded = store.stage("snapshot", 0);
    discarded.put(credential(1));
    discarded.discard();
    discarded.discard();
    const delta = store.stage("delta", 0);
    delta.del("1");
    delta.discard();
    const refused = await applyAllowlistBody(store, chunked(EXAMPLE_TEXT.slice(0, -20), 100), {
      site: EXAMPLE_SITE,
      trustedKeys: EXAMPLE_TRUST,
      now: 1,
    });
    expect(refused.ok).toBe(false);
    const committed = store.stage("snapshot", 0);
    committed.put(credential(1));
    committed.commit(META);
    committed.discard();
    expect(tables(db)).toEqual(before);
    expect(db.prepare("SELECT name FROM temp.sqlite_master").all()).toEqual([]);
  });

  it("drops a snapshot staging table a crash left behind once it is stale", () => {
    // The life that crashed: its staging is never committed nor discarded.
    const crashed = database.open();
    SqliteAllowlistStore.open(crashed).stage("snapshot", 1_000).put(credential(1));
    const db = database.reopen(crashed);
    const store = SqliteAllowlistStore.open(db);
    const recent = store.stage("snapshot", 2 * 3600_000);
    expect(tables(db).filter((t) => t.startsWith(SNAPSHOT_STAGING_PREFIX))).toHaveLength(2);
    while (store.clearRetired(7 * 3600_000)) {}
    expect(tables(db).filter((t) => t.startsWith(SNAPSHOT_STAGING_PREFIX))).toHaveLength(1);
    recent.put(credential(2));
    expect(recent.commit(META)).toBe(1);
  });

  it("refuses to commit an update staged on a version that has changed since", () => {
    const store = SqliteAllowlistStore.open(database.open());
    const a = store.stage("delta", 0);
    const b = store.stage("snapshot", 0);
    a.put(credential(1));
    b.put(credential(2));
    expect(a.commit(META)).toBe(1);
    expect(() => b.commit({ ...META, version: 2 })).toThrow(AllowlistChangedError);
    b.discard();
    expect(store.stats()).toMatchObject({ version: 1, count: 1 });
    expect(store.get("2")).toBeUndefined();
  });

  it("stages snapshots in a table of exactly the credential table's shape", () => {
    const db = database.open();
    const store = SqliteAllowlistStore.open(db);
    const staging = store.stage("snapshot", 0);
    const [name] = tables(db).filter((t) => t.startsWith(SNAPSHOT_STAGING_PREFIX));
    const shape = (table: string) => db.prepare(`PRAGMA table_info(${table})`).all();
    const strict = (table: string) => db.prepare(`PRAGMA table_list(${table})`).get();
    expect(shape(name!)).toEqual(shape(CREDENTIAL_TABLE));
    expect(strict(name!)).toMatchObject({ strict: 1 });
    expect(strict(CREDENTIAL_TABLE)).toMatchObject({ strict: 1 });
    staging.discard();
  });

  it("keeps its data across reopening and a later migrate", async () => {
    const db = database.open();
    const body = signedBody({ to: 3 }, [putLine(registryCredential(5))]);
    const options = { site: EXAMPLE_SITE, trustedKeys: EXAMPLE_TRUST, now: 1 };
    expect((await applyAllowlistBody(SqliteAllowlistStore.open(db), chunked(body, 40), options)).ok).toBe(
      true,
    );
    const again = SqliteAllowlistStore.open(database.reopen(db));
    expect(again.get("5")).toStrictEqual(credential(5));
    expect(again.stats()).toMatchObject({ version: 3, count: 1 });
  });
});

describe("FakeAllowlistStore", () => {
  it("keeps per-instance state that tests set directly", () => {
    const a = new FakeAllowlistStore([credential(1)]);
    const b = new FakeAllowlistStore();
    a.put(credential(2));
    expect(a.get("1")).toStrictEqual(credential(1));
    expect(b.get("1")).toBeUndefined();
    expect(a.stats().count).toBe(2);
    expect(a.delete("1")).toBe(true);
    a.setStats({ site: "s", version: 4, count: 1_000_000 });
    expect(a.stats()).toEqual({ site: "s", version: 4, count: 1_000_000, issuedAt: null, syncedAt: null });
    a.setStats({ count: undefined });
    expect(a.stats().count).toBe(1);
  });

  it("hands out copies, so callers cannot change what it holds", () => {
    const store = new FakeAllowlistStore([credential(1)]);
    const got = store.get("1")!;
    got.roles.push("staff");
    expect(store.get("1")!.roles).toEqual(["student"]);
  });
});
