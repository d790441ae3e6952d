import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { type Db, openDatabase } from "../../platform/database/database.js";
import type { AllowlistStats, WritableAllowlistStore } from "./allowlist-store.js";
import { APPLY_FAILURES, type ApplyFailure, type ApplyOptions, applyAllowlistBody } from "./apply-body.js";
import { ApplyRefusal } from "./apply-failure.js";
import { type Credential, credentialSchema } from "./credential.js";
import { SqliteAllowlistStore } from "./sqlite-allowlist-store.js";
import { FakeAllowlistStore } from "./testing/fake-allowlist-store.js";
import {
  chunked,
  delLine,
  EXAMPLE_SITE,
  EXAMPLE_TEXT,
  EXAMPLE_TRUST,
  freshKey,
  headerLine,
  putLine,
  RFC_TEST2_PRIVATE,
  registryCredential,
  signedBody,
  trailerLine,
} from "./testing/test-bodies.js";

const NOW = Date.parse("2026-11-24T09:05:00Z");
const OPTIONS: ApplyOptions = { site: EXAMPLE_SITE, trustedKeys: EXAMPLE_TRUST, now: NOW };
const EXAMPLE_LINES = EXAMPLE_TEXT.split("\n").filter((l) => l !== "");
const EXAMPLE_CREDENTIALS: Credential[] = EXAMPLE_LINES.slice(1, -1).map((l) =>
  credentialSchema.parse(JSON.parse(l).credential),
);
const TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function openSqlite(): SqliteAllowlistStore {
  const dir = mkdtempSync(join(tmpdir(), "passgate-allowlist-"));
  dirs.push(dir);
  const db = openDatabase(join(dir, "gate.db"));
  dbs.push(db);
  return SqliteAllowlistStore.open(db);
}

const stores: [string, () => WritableAllowlistStore][] = [
  ["SqliteAllowlistStore", openSqlite],
  ["FakeAllowlistStore", () => new FakeAllowlistStore()],
];

/** Everything a failed apply must leave as it was. */
function snapshotOf(
  store: WritableAllowlistStore,
  ids: readonly string[],
): { stats: AllowlistStats; rows: unknown[] } {
  return { stats: store.stats(), rows: ids.map((id) => store.get(id)) };
}

describe.each(stores)("applyAllowlistBody on %s", (_name, open) => {
  async function withExample(): Promise<WritableAllowlistStore> {
    const store = open();
    const result = await applyAllowlistBody(store, chunked(EXAMPLE_TEXT, 97), OPTIONS);
    expect(result).toEqual({ ok: true, kind: "snapshot", from: null, to: 7, count: 4, puts: 4, dels: 0 });
    return store;
  }

  it("imports the spec's signed example: every credential equals its parsed line", async () => {
    const store = await withExample();
    expect(store.stats()).toEqual({
      site: EXAMPLE_SITE,
      version: 7,
      count: 4,
      issuedAt: Date.parse("2026-11-24T09:00:00Z"),
      syncedAt: NOW,
    });
    for (const credential of EXAMPLE_CREDENTIALS) expect(store.get(credential.id)).toStrictEqual(credential);
    expect(store.get("7")).toBeUndefined();
    expect(store.get("0042")).toBeUndefined();
  });

  it("reads a Node stream of strings as well as chunks of bytes", async () => {
    const store = open();
    const result = await applyAllowlistBody(
      store,
      Readable.from(EXAMPLE_LINES.map((l) => `${l}\n`)),
      OPTIONS,
    );
    expect(result.ok).toBe(true);
    expect(store.stats().count).toBe(4);
  });

  it("applies a delta on top: puts, replaces and deletes", async () => {
    const store = await withExample();
    const body = signedBody({ kind: "delta", from: 7, to: 8 }, [
      putLine(registryCredential(3001, { displayName: "Новый Н. Н." })),
      putLine(registryCredential(1002, { status: "active" })),
      delLine("42"),
      delLine("999"),
    ]);
    const result = await applyAllowlistBody(store, chunked(body, 50), { ...OPTIONS, now: NOW + 1 });
    expect(result).toEqual({ ok: true, kind: "delta", from: 7, to: 8, count: 4, puts: 2, dels: 2 });
    expect(store.get("42")).toBeUndefined();
    expect(store.get("1002")?.status).toBe("active");
    expect(store.get("3001")?.displayName).toBe("Новый Н. Н.");
    expect(store.get("1001")).toStrictEqual(EXAMPLE_CREDENTIALS[1]);
    expect(store.stats()).toMatchObject({ version: 8, count: 4, syncedAt: NOW + 1 });
  });

  it("applies the last operation on an id within one body", async () => {
    const store = await withExample();
    const delta = signedBody({ kind: "delta", from: 7, to: 8 }, [
      delLine("1001"),
      putLine(registryCredential(1001, { person: "p-again" })),
      putLine(registryCredential(5000)),
      delLine("5000"),
    ]);
    expect(await applyAllowlistBody(store, chunked(delta, 64), OPTIONS)).toMatchObject({
      ok: true,
      count: 4,
    });
    expect(store.get("1001")?.person).toBe("p-again");
    expect(store.get("5000")).toBeUndefined();

    const snapshot = signedBody({ to: 9 }, [
      putLine(registryCredential(1)),
      putLine(registryCredential(2)),
      putLine(registryCredential(1, { person: "p-later" })),
      delLine("2"),
      delLine("3"),
    ]);
    expect(await applyAllowlistBody(store, chunked(snapshot, 64), OPTIONS)).toMatchObject({
      ok: true,
      count: 1,
    });
    expect(store.get("1")?.person).toBe("p-later");
    expect(store.get("2")).toBeUndefined();
    expect(store.get("1001")).toBeUndefined();
    expect(store.stats()).toMatchObject({ version: 9, count: 1 });
  });

  it("replaces the whole allowlist with a newer snapshot of 20 000 credentials", async () => {
    const store = await withExample();
    const records = Array.from({ length: 20_000 }, (_, i) =>
      putLine(registryCredential(100_000 + ((i * 7919) % 20_000))),
    );
    const result = await applyAllowlistBody(store, chunked(signedBody({ to: 20 }, records), 65_536), OPTIONS);
    expect(result).toEqual({
      ok: true,
      kind: "snapshot",
      from: 7,
      to: 20,
      count: 20_000,
      puts: 20_000,
      dels: 0,
    });
    expect(store.get("42")).toBeUndefined();
    expect(store.get("100000")?.person).toBe("p-100000");
    expect(store.get("119999")?.person).toBe("p-119999");
    expect(store.stats()).toMatchObject({ version: 20, count: 20_000 });
  });

  it("applies the same body the same way whatever the chunking", async () => {
    for (const size of [1, 2, 3, 1000]) {
      const store = open();
      expect((await applyAllowlistBody(store, chunked(EXAMPLE_TEXT, size), OPTIONS)).ok).toBe(true);
      expect(store.get("42")).toStrictEqual(EXAMPLE_CREDENTIALS[0]);
    }
  });

  const tampered = EXAMPLE_TEXT.replace('"person":"p-1002"', '"person":"p-1003"');
  const other = freshKey();
  const records = EXAMPLE_LINES.slice(1, -1);
  const resigned = (header: Parameters<typeof headerLine>[0], body = records) => signedBody(header, body);
  const refusals: [string, ApplyFailure, string | AsyncIterable<Buffer | string>, Partial<ApplyOptions>?][] =
    [
      ["a record byte changed", "digest_mismatch", tampered],
      [
        "signed by another key under the trusted key id",
        "bad_signature",
        signedBody({ to: 8 }, records, other.privateKey),
      ],
      [
        "signed by a key id the gate does not trust",
        "unknown_key",
        signedBody({ to: 8 }, records, other.privateKey, "rogue"),
      ],
      [
        "a trusted key that is not a key",
        "unknown_key",
        resigned({ to: 8 }),
        { trustedKeys: { "test-2026": "short" } },
      ],
      ["another site", "wrong_site", resigned({ site: "other-campus", to: 8 })],
      ["another format", "wrong_format", resigned({ format: "pg-allowlist/2", to: 8 })],
      ["no format", "wrong_format", `${JSON.stringify({ type: "header" })}\n`],
      ["more records than counted", "count_mismatch", resigned({ to: 8, count: 3 })],
      ["fewer records than counted", "count_mismatch", resigned({ to: 8, count: 5 })],
      ["an older snapshot (rollback)", "version_not_newer", resigned({ to: 5 })],
      ["a snapshot of the version in force", "version_not_newer", resigned({ to: 6 })],
      ["a delta from another version", "delta_from_mismatch", resigned({ kind: "delta", from: 5, to: 8 })],
      ["a delta that goes nowhere", "version_not_newer", resigned({ kind: "delta", from: 6, to: 6 })],
      ["a delta without from", "bad_header", resigned({ kind: "delta", to: 8 })],
      ["a header with a bad date", "bad_header", resigned({ to: 8, issuedAt: "yesterday" })],
      [
        "a body cut in the middle of a line",
        "truncated",
        EXAMPLE_TEXT.slice(0, EXAMPLE_TEXT.indexOf("p-2001")),
      ],
      ["a body cut before its trailer", "missing_trailer", `${EXAMPLE_LINES.slice(0, -1).join("\n")}\n`],
      ["a trailer without its LF", "truncated", EXAMPLE_TEXT.replace(/\n$/, "")],
      ["an empty body", "truncated", ""],
      ["a body that starts with a record", "bad_header", `${EXAMPLE_LINES.slice(1).join("\n")}\n`],
      ["a line over the limit", "line_too_long", EXAMPLE_TEXT, { maxLineBytes: 200 }],
      ["a line that never ends", "line_too_long", endlessLine()],
      ["a line that is not JSON", "malformed_line", EXAMPLE_TEXT.replace('{"type":"put"', "garbage {")],
      [
        "a line that is JSON but not an object",
        "malformed_line",
        resigned({ to: 8, count: 5 }, [...records, "[1,2]"]),
      ],
      ["an empty line", "malformed_line", EXAMPLE_TEXT.replace("\n", "\n\n")],
      [
        "a credential the schema refuses",
        "bad_record",
        resigned({ to: 8 }, [...records.slice(0, 3), records[0]!.replace(TOTP_SECRET, `${TOTP_SECRET}!1`)]),
      ],
      [
        "a del without a valid id",
        "bad_record",
        resigned({ to: 8 }, [...records.slice(0, 3), delLine("01")]),
      ],
      [
        "a record of unknown type",
        "bad_record",
        resigned({ to: 8 }, [...records.slice(0, 3), '{"type":"move"}']),
      ],
      ["a second header", "bad_record", resigned({ to: 8 }, [...records.slice(0, 3), headerLine({ to: 9 })])],
      [
        "a trailer with a bad digest field",
        "bad_trailer",
        EXAMPLE_TEXT.replace('"sha256":"0870', '"sha256":"zz70'),
      ],
      ["a line after the trailer", "data_after_trailer", `${EXAMPLE_TEXT}${EXAMPLE_LINES[1]}\n`],
      ["a second trailer", "data_after_trailer", `${EXAMPLE_TEXT}${EXAMPLE_LINES.at(-1)}\n`],
      ["bytes after the trailer", "data_after_trailer", `${EXAMPLE_TEXT}x`],
      ["a stream that fails midway", "read_error", failingAfter(EXAMPLE_TEXT.slice(0, 600))],
      // A source that decodes the body (sync/body-decoding.ts) refuses with its own reason.
      ...(["unsupported_encoding", "bad_encoding", "decoded_too_large", "expansion_too_high"] as const).map(
        (reason): [string, ApplyFailure, AsyncIterable<string>] => [
          `a source that refuses its encoding midway`,
          reason,
          refusingAfter(EXAMPLE_TEXT.slice(0, 600), reason),
        ],
      ),
    ];

  it.each(refusals)("refuses %s (%s) and changes nothing", async (_what, reason, body, options) => {
    // The example's records signed as v6, so the example itself (v7) would be newer.
    const store = open();
    expect(await applyAllowlistBody(store, chunked(resigned({ to: 6 }), 500), OPTIONS)).toMatchObject({
      ok: true,
    });
    const ids = [...EXAMPLE_CREDENTIALS.map((c) => c.id), "3001", "100000"];
    const before = snapshotOf(store, ids);
    const input = typeof body === "string" ? chunked(body, 61) : body;
    const result = await applyAllowlistBody(store, input, { ...OPTIONS, now: NOW + 60_000, ...options });
    expect(result).toMatchObject({ ok: false, reason });
    if (result.ok) return;
    expect(result.message).not.toContain(TOTP_SECRET.slice(0, 8));
    expect(result.message).not.toContain('{"type"');
    expect(snapshotOf(store, ids)).toStrictEqual(before);
    // And the store still takes the next good body.
    const next = await applyAllowlistBody(store, chunked(resigned({ to: 8 }), 61), OPTIONS);
    expect(next).toMatchObject({ ok: true, to: 8 });
  });

  it("covers every failure reason but store_error in the table above", () => {
    const covered = new Set(refusals.map((r) => r[1]));
    expect(APPLY_FAILURES.filter((r) => !covered.has(r))).toEqual(["store_error"]);
  });

  it("refuses a delta when the gate has no allowlist yet", async () => {
    const store = open();
    const result = await applyAllowlistBody(
      store,
      chunked(resigned({ kind: "delta", from: 7, to: 8 }), 100),
      OPTIONS,
    );
    expect(result).toMatchObject({ ok: false, reason: "delta_from_mismatch" });
    expect(result.ok ? "" : result.message).toContain("this gate has no allowlist");
    expect(store.stats()).toEqual({ site: null, version: null, count: 0, issuedAt: null, syncedAt: null });
  });

  it("stops reading as soon as the body is refused", async () => {
    const store = open();
    let yielded = 0;
    let closed = false;
    async function* source(): AsyncGenerator<string> {
      try {
        yield `${headerLine({ site: "elsewhere", count: 1_000_000 })}\n`;
        for (;;) {
          yielded++;
          yield `${putLine(registryCredential(yielded))}\n`;
        }
      } finally {
        closed = true;
      }
    }
    expect(await applyAllowlistBody(store, source(), OPTIONS)).toMatchObject({
      ok: false,
      reason: "wrong_site",
    });
    expect(closed).toBe(true);
    expect(yielded).toBeLessThan(2);
  });

  it("commits only the first of two bodies applied at once; the other is refused", async () => {
    const store = await withExample();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowBody = resigned({ to: 8 });
    async function* slow(): AsyncGenerator<string> {
      yield slowBody.slice(0, 300);
      await gate;
      yield slowBody.slice(300);
    }
    const first = applyAllowlistBody(store, slow(), OPTIONS);
    await new Promise((resolve) => setImmediate(resolve));
    const fast = signedBody({ kind: "delta", from: 7, to: 9 }, [delLine("42")]);
    expect(await applyAllowlistBody(store, chunked(fast, 1000), OPTIONS)).toMatchObject({ ok: true, to: 9 });
    release();
    expect(await first).toMatchObject({ ok: false, reason: "version_not_newer" });
    expect(store.stats()).toMatchObject({ version: 9, count: 3 });
    expect(store.get("42")).toBeUndefined();
  });

  it("accepts a snapshot for its site after the gate moved to another site", async () => {
    const store = await withExample();
    const body = signedBody({ site: "north-campus", to: 1 }, [putLine(registryCredential(1))]);
    const result = await applyAllowlistBody(store, chunked(body, 100), { ...OPTIONS, site: "north-campus" });
    expect(result).toMatchObject({ ok: true, from: null, to: 1, count: 1 });
    expect(store.stats()).toMatchObject({ site: "north-campus", version: 1 });
    expect(store.get("42")).toBeUndefined();
  });

  it("verifies with any of several trusted keys (rotation)", async () => {
    const store = await withExample();
    const next = freshKey();
    const body = signedBody({ to: 8 }, records, next.privateKey, "test-2027");
    const trustedKeys = { ...EXAMPLE_TRUST, "test-2027": next.publicKey };
    expect(await applyAllowlistBody(store, chunked(body, 100), { ...OPTIONS, trustedKeys })).toMatchObject({
      ok: true,
    });
  });

  it("does not take a key id that only exists on Object.prototype as trusted", async () => {
    const store = open();
    const body = signedBody({ to: 8 }, records, RFC_TEST2_PRIVATE, "constructor");
    expect(await applyAllowlistBody(store, chunked(body, 100), OPTIONS)).toMatchObject({
      reason: "unknown_key",
    });
  });

  it("checks the trailer against the bytes as sent, CRLF and all", async () => {
    const store = open();
    const lines = [headerLine({ count: 1 }), putLine(registryCredential(1))].map((l) => `${l}\r`);
    const body = `${lines.join("\n")}\n${trailerLine(lines)}\n`;
    expect(await applyAllowlistBody(store, chunked(body, 10), OPTIONS)).toMatchObject({ ok: true, count: 1 });
  });
});

async function* endlessLine(): AsyncGenerator<string> {
  yield `${headerLine({ to: 8, count: 1 })}\n`;
  // 64 MiB without an LF: refused long before the end, never buffered whole.
  for (let i = 0; i < 1024; i++) yield "x".repeat(65_536);
  throw new Error("the endless line was read to its end");
}

async function* refusingAfter(text: string, reason: ApplyFailure): AsyncGenerator<string> {
  yield text;
  throw new ApplyRefusal(reason, `the source refuses the body (${reason})`);
}

async function* failingAfter(text: string): AsyncGenerator<string> {
  yield text;
  throw new Error("ECONNRESET: the registry hung up");
}
