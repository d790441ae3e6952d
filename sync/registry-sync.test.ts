import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  delLine,
  freshKey,
  putLine,
  RFC_TEST2_PRIVATE,
  registryCredential,
  signedBody,
} from "../daemon/allowlist/testing/test-bodies.js";
import { openDatabase } from "../platform/database/database.js";
import { signedAllowlistLines } from "../sim/registry/signed-allowlist.js";
import {
  del,
  GateDb,
  httpSync,
  memoryLogger,
  put,
  registryPerFile,
  SITE,
  until,
} from "../test/fixtures/sync-fixture.js";
import type { PullOutcome } from "./registry-sync.js";

const registry = registryPerFile({ deltaWindow: 2 });
let gate: GateDb;
beforeEach(() => {
  gate = new GateDb();
});
afterEach(() => gate.close());

function expectApplied(outcome: PullOutcome, kind: "snapshot" | "delta", to: number): void {
  expect(outcome).toMatchObject({ kind: "applied", result: { kind, to } });
}

describe("RegistrySync over HTTP: pulling", () => {
  it("pulls a snapshot first, then deltas with ?since=V, then gets 304", async () => {
    const v1 = registry.server.publish([put(1), put(2), put(3)]);
    const { sync } = httpSync(gate, registry.url);
    const before = registry.server.requests.length;
    expectApplied(await sync.pullOnce(), "snapshot", v1);
    expect(gate.store.stats()).toMatchObject({ site: SITE, version: v1, count: 3 });

    const v2 = registry.server.publish([del(2), put(4)]);
    expectApplied(await sync.pullOnce(), "delta", v2);
    expect(gate.store.get("2")).toBeUndefined();
    expect(gate.store.get("4")?.person).toBe("p-4");
    expect(gate.store.stats().count).toBe(3);

    expect(await sync.pullOnce()).toEqual({ kind: "not_modified" });
    expect(registry.server.requests.slice(before).map((r) => r.since)).toEqual([null, v1, v2]);
    const status = gate.state.get();
    expect(status).toMatchObject({ registry: registry.url, lastError: null, failures: 0 });
    expect(status.lastSuccessAt).not.toBeNull();
  });

  it("applies a snapshot the registry sends instead of a delta when `since` is too old", async () => {
    const { sync } = httpSync(gate, registry.url);
    const first = registry.server.publish([put(10)]);
    expectApplied(await sync.pullOnce(), "snapshot", registry.server.currentVersion());
    registry.server.publish([put(11)]);
    registry.server.publish([put(12)]);
    const last = registry.server.publish([del(10)]);
    // deltaWindow 2: `first` is three versions back, so the registry answers with a snapshot.
    const outcome = await sync.pullOnce();
    expect(registry.server.requests.at(-1)?.since).toBeGreaterThanOrEqual(first);
    expectApplied(outcome, "snapshot", last);
    expect(gate.store.get("10")).toBeUndefined();
    expect(gate.store.get("12")).toBeDefined();
  });

  it("asks for a full snapshot when told to", async () => {
    const { sync } = httpSync(gate, registry.url);
    await sync.pullOnce();
    expect(await sync.pullOnce({ snapshot: true })).toMatchObject({ kind: "refused" });
    // Same version again as a snapshot is not newer: refused, nothing changed. A newer one goes in.
    const v = registry.server.publish([put(20)]);
    expectApplied(await sync.pullOnce({ snapshot: true }), "snapshot", v);
    expect(registry.server.requests.at(-1)?.since).toBeNull();
  });
});

describe("RegistrySync with the daemon's paced clearing of replaced allowlists", () => {
  it("returns from a snapshot's pull with the replaced allowlist left to the clearing, and wakes it", async () => {
    let wakes = 0;
    const { sync } = httpSync(gate, registry.url, { parts: { retired: { wake: () => wakes++ } } });
    // More than the 2,048 rows a switch drops at once: the replaced one is retired.
    registry.server.publish(Array.from({ length: 3000 }, (_, i) => put(i + 1)));
    await sync.pullOnce();
    const v = registry.server.publish([put(4)]);
    expectApplied(await sync.pullOnce({ snapshot: true }), "snapshot", v);
    expect(wakes).toBe(2);
    const retired = gate.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'allowlist_old_%'")
      .pluck()
      .all() as string[];
    expect(retired).toHaveLength(1);
    expect(gate.store.get("4")).toBeDefined();
    // Without the part, the pull clears them itself before it returns.
    const { sync: alone } = httpSync(gate, registry.url);
    const w = registry.server.publish([put(5)]);
    expectApplied(await alone.pullOnce({ snapshot: true }), "snapshot", w);
    expect(
      gate.db.prepare("SELECT count(*) FROM sqlite_master WHERE name LIKE 'allowlist_old_%'").pluck().get(),
    ).toBe(0);
  });
});

describe("RegistrySync over HTTP: a refused body leaves the allowlist exactly as it was", () => {
  let version: number;
  const next = () => version + 1;

  beforeEach(async () => {
    registry.server.publish([put(1), put(2), put(3)]);
    const { sync } = httpSync(gate, registry.url);
    const outcome = await sync.pullOnce();
    expect(outcome.kind).toBe("applied");
    version = gate.store.stats().version ?? 0;
  });

  const validDelta = () =>
    signedBody({ kind: "delta", from: version, to: next() }, [delLine("1"), putLine(registryCredential(9))]);
  const other = freshKey();

  const cases: [string, () => string, string][] = [
    [
      "tampered record",
      () => validDelta().replace('"roles":["student"]', '"roles":["staff"]'),
      "digest_mismatch",
    ],
    [
      "signed by a key that is not the trusted one (same key id)",
      () =>
        signedBody(
          { kind: "delta", from: version, to: next() },
          [delLine("1")],
          other.privateKey,
          "test-2026",
        ),
      "bad_signature",
    ],
    [
      "unknown key id",
      () =>
        signedBody({ kind: "delta", from: version, to: next() }, [delLine("1")], other.privateKey, "other"),
      "unknown_key",
    ],
    [
      "wrong site",
      () => signedBody({ kind: "delta", site: "another-campus", from: version, to: next() }, [delLine("1")]),
      "wrong_site",
    ],
    [
      "wrong count",
      () => signedBody({ kind: "delta", from: version, to: next(), count: 5 }, [delLine("1")]),
      "count_mismatch",
    ],
    [
      "rollback to an older snapshot",
      () => signedBody({ kind: "snapshot", from: null, to: version - 1 }, [putLine(registryCredential(7))]),
      "version_not_newer",
    ],
    [
      "delta whose from is not the version in force",
      () => signedBody({ kind: "delta", from: version - 1, to: next() }, [delLine("1")]),
      "delta_from_mismatch",
    ],
  ];

  it.each(cases)("%s", async (_name, body, reason) => {
    const { logger, lines } = memoryLogger();
    const { sync } = httpSync(gate, registry.url, { logger });
    const before = gate.dump();
    registry.server.nextAllowlist({ status: 200, lines: [body()] });
    expect(await sync.pullOnce()).toMatchObject({ kind: "refused", reason });
    expect(gate.dump()).toBe(before);
    expect(gate.state.get()).toMatchObject({ lastErrorCode: reason, failures: 1 });
    expect(gate.state.get().refused[reason]).toBe(1);
    expect(lines().some((l) => l.reason === reason && l.level === 50)).toBe(true);
  });

  it("a connection cut in the middle of a snapshot", async () => {
    const { sync } = httpSync(gate, registry.url);
    const before = gate.dump();
    const records = Array.from({ length: 5000 }, (_, i) => put(100 + i));
    const body = [
      ...signedAllowlistLines(
        {
          site: SITE,
          kind: "snapshot",
          from: null,
          to: next(),
          issuedAt: new Date().toISOString(),
          count: 5000,
        },
        records,
        { keyId: "test-2026", privateKey: RFC_TEST2_PRIVATE },
      ),
    ];
    const bytes = body.reduce((n, l) => n + Buffer.byteLength(l), 0);
    registry.server.nextAllowlist({ status: 200, lines: body, cutAfterBytes: Math.floor(bytes / 2) });
    const outcome = await sync.pullOnce();
    expect(outcome).toMatchObject({ kind: "refused" });
    expect(["read_error", "truncated"]).toContain((outcome as { reason: string }).reason);
    expect(gate.dump()).toBe(before);
    // The same snapshot whole goes in afterwards.
    registry.server.nextAllowlist({ status: 200, lines: body });
    expectApplied(await sync.pullOnce(), "snapshot", next());
    expect(gate.store.stats().count).toBe(5000);
  });

  it("after a delta that does not fit, the next pull asks for a snapshot", async () => {
    const { sync } = httpSync(gate, registry.url);
    registry.server.nextAllowlist({
      status: 200,
      lines: [signedBody({ kind: "delta", from: version - 1, to: next() }, [delLine("1")])],
    });
    await sync.pullOnce();
    registry.server.publish([put(30)]);
    expectApplied(await sync.pullOnce(), "snapshot", registry.server.currentVersion());
    expect(registry.server.requests.at(-1)?.since).toBeNull();
  });
});

describe("RegistrySync over HTTP: when to pull", () => {
  it("retries with backoff on 503 and 429 (honouring Retry-After) and keeps the allowlist meanwhile", async () => {
    registry.server.publish([put(40)]);
    const { sync } = httpSync(gate, registry.url);
    registry.server.nextAllowlist({ status: 503, text: "maintenance" }, { status: 429, retryAfter: "0" });
    const before = registry.server.requests.length;
    sync.start();
    try {
      await until(() => gate.store.stats().version === registry.server.currentVersion());
    } finally {
      await sync.stop();
    }
    expect(registry.server.requests.length - before).toBe(3);
    expect(gate.state.get()).toMatchObject({ failures: 0, lastError: null });
  });

  it("retries after a network error (nothing listening)", async () => {
    const { sync } = httpSync(gate, "http://127.0.0.1:1");
    const outcome = await sync.pullOnce();
    expect(outcome).toMatchObject({ kind: "retry", status: null });
    expect(gate.state.get()).toMatchObject({ lastErrorCode: "retry", failures: 1 });
    expect(gate.store.stats().version).toBeNull();
  });

  it("stops on 401 until the token changes, with a clear message", async () => {
    registry.server.publish([put(50)]);
    const { logger, lines } = memoryLogger();
    const { sync } = httpSync(gate, registry.url, { token: "wrong", logger });
    const before = registry.server.requests.length;
    sync.start();
    await until(() => gate.state.get().stoppedFor === "fp-wrong");
    // Push while stopped is ignored too; wait long past several backoff periods (20-100 ms).
    sync.requestSync();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await sync.stop();
    expect(registry.server.requests.length - before).toBe(1);
    expect(gate.state.get()).toMatchObject({ lastErrorCode: "unauthorized", nextAttemptAt: null });
    expect(
      lines().some((l) => String(l.msg).includes("sync is stopped until registry.url or the token")),
    ).toBe(true);
    expect(JSON.stringify(lines())).not.toContain('wrong"');

    // A restart with the same config stays stopped…
    const again = httpSync(gate, registry.url, { token: "wrong" }).sync;
    again.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await again.stop();
    expect(registry.server.requests.length - before).toBe(1);

    // …a changed token syncs.
    const fixed = httpSync(gate, registry.url).sync;
    fixed.start();
    try {
      await until(() => gate.store.stats().version === registry.server.currentVersion());
    } finally {
      await fixed.stop();
    }
    expect(gate.state.get().stoppedFor).toBeNull();
  });

  it("pulls at once on requestSync() (the registry's push) instead of waiting for the poll", async () => {
    registry.server.publish([put(60)]);
    const { sync } = httpSync(gate, registry.url, { settings: { pollInterval: 3_600_000 } });
    sync.start();
    try {
      await until(() => gate.store.stats().version === registry.server.currentVersion());
      registry.server.publish([put(60, { status: "revoked" })]);
      sync.requestSync();
      await until(() => gate.store.get("60")?.status === "revoked", 5000);
    } finally {
      await sync.stop();
    }
  });

  it("goes on pulling when the sync state cannot be written for a while (another writer holds the database)", async () => {
    registry.server.publish([put(70)]);
    // The daemon waits 5 s for a lock; 50 ms here, so the test need not.
    gate.db.pragma("busy_timeout = 50");
    const { logger, lines } = memoryLogger();
    const { sync } = httpSync(gate, registry.url, { logger });
    const other = openDatabase(gate.path);
    sync.start();
    // Before the first pull runs (its timer is due now): the apply, its record and the next
    // pull's schedule all find the database locked.
    other.exec("BEGIN IMMEDIATE");
    try {
      await until(() =>
        lines().some((l) => l.msg === "the next pull could not be scheduled from the sync state"),
      );
      expect(lines().some((l) => l.msg === "the pull's outcome could not be recorded")).toBe(true);
      expect(gate.store.stats().version).toBeNull();
      other.exec("COMMIT");
      // Pulls went on by themselves: the allowlist arrives once the lock is gone.
      await until(() => gate.store.stats().version === registry.server.currentVersion());
      await until(() => gate.state.get().lastSuccessAt !== null);
    } finally {
      if (other.inTransaction) other.exec("ROLLBACK");
      other.close();
      await sync.stop();
    }
  });

  it("records the next attempt for `sync status`", async () => {
    const { sync } = httpSync(gate, registry.url, { settings: { pollInterval: 3_600_000 } });
    sync.start();
    try {
      await until(() => gate.state.get().lastSuccessAt !== null);
      await until(() => (gate.state.get().nextAttemptAt ?? 0) > Date.now() + 3_500_000);
    } finally {
      await sync.stop();
    }
  });
});
