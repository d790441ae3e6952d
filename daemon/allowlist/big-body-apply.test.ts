import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Db, openDatabase } from "../../platform/database/database.js";
import { type ApplyOptions, applyAllowlistBody } from "./apply-body.js";
import { BodyApplication } from "./body-application.js";
import type { BodyLineParser } from "./body-line-parser.js";
import { EventLoopTurns } from "./event-loop-turns.js";
import { SqliteAllowlistStore } from "./sqlite-allowlist-store.js";
import {
  chunked,
  EXAMPLE_SITE,
  EXAMPLE_TRUST,
  headerLine,
  putLine,
  registryCredential,
  signedBody,
  trailerLine,
} from "./testing/test-bodies.js";

// Bodies of 5,000 records: over the size from which lines are parsed on a thread of their
// own (body-line-parser.ts), in batches, one parsed while the one before is checked.
const RECORDS = 5000;
const NOW = Date.parse("2026-11-24T09:05:00Z");
const OPTIONS: ApplyOptions = { site: EXAMPLE_SITE, trustedKeys: EXAMPLE_TRUST, now: NOW };

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function openStore(): SqliteAllowlistStore {
  const dir = mkdtempSync(join(tmpdir(), "passgate-big-body-"));
  dirs.push(dir);
  const db = openDatabase(join(dir, "gate.db"));
  dbs.push(db);
  return SqliteAllowlistStore.open(db);
}

const records = (from: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => putLine(registryCredential(from + i)));

/** A store holding v6: records 1..RECORDS. */
async function storeAtV6(): Promise<SqliteAllowlistStore> {
  const store = openStore();
  const result = await applyAllowlistBody(
    store,
    chunked(signedBody({ to: 6 }, records(1, RECORDS)), 8192),
    OPTIONS,
  );
  expect(result).toEqual({
    ok: true,
    kind: "snapshot",
    from: null,
    to: 6,
    count: RECORDS,
    puts: RECORDS,
    dels: 0,
  });
  return store;
}

/** A v7 snapshot of records 100001.., with `change` applied to its record lines before signing. */
function v7(change: (lines: string[]) => string[] = (l) => l): string {
  const lines = [headerLine({ to: 7, count: RECORDS }), ...change(records(100_001, RECORDS))];
  return `${[...lines, trailerLine(lines)].join("\n")}\n`;
}

describe("applyAllowlistBody with a big body (parsed off the event loop's thread)", () => {
  it("applies every record, in body order", async () => {
    const store = await storeAtV6();
    // A put of the same id twice: the later one wins, as the order of the body says.
    const body = v7((lines) => [
      ...lines.slice(0, -1),
      putLine(registryCredential(100_001, { roles: ["staff"] })),
    ]);
    expect(await applyAllowlistBody(store, chunked(body, 8192), OPTIONS)).toMatchObject({
      ok: true,
      to: 7,
      count: RECORDS - 1,
    });
    expect(store.get("1")).toBeUndefined();
    expect(store.get("100002")).toMatchObject({ id: "100002", person: "p-100002" });
    expect(store.get("100001")?.roles).toEqual(["staff"]);
    expect(store.stats()).toMatchObject({ version: 7, count: RECORDS - 1 });
  });

  const refusals: [string, string, string, string][] = [
    [
      "a line that is not JSON far into the body",
      "malformed_line",
      v7((lines) => lines.map((l, i) => (i === 3999 ? "garbage {" : l))),
      "line 4001 is not valid JSON",
    ],
    [
      "a bad record before a line over the limit",
      "bad_record",
      v7((lines) =>
        lines.map((l, i) => (i === 4400 ? '{"type":"move"}' : i === 4500 ? "x".repeat(70_000) : l)),
      ),
      "line 4402",
    ],
    [
      "a line over the limit far into the body",
      "line_too_long",
      v7((lines) => lines.map((l, i) => (i === 4500 ? `"${"x".repeat(70_000)}"` : l))),
      "line 4502",
    ],
    [
      "a record changed after signing",
      "digest_mismatch",
      v7().replace('"p-102500"', '"p-102501"'),
      "SHA-256",
    ],
    [
      "a line after the trailer",
      "data_after_trailer",
      `${v7()}${putLine(registryCredential(9))}\n`,
      "after its trailer",
    ],
    ["bytes after the trailer", "data_after_trailer", `${v7()}x`, "after its trailer"],
  ];

  it.each(refusals)("refuses %s (%s) and keeps the allowlist in force", async (_what, reason, body, said) => {
    const store = await storeAtV6();
    const result = await applyAllowlistBody(store, chunked(body, 8192), { ...OPTIONS, now: NOW + 1 });
    expect(result).toMatchObject({ ok: false, reason });
    expect(result.ok ? "" : result.message).toContain(said);
    expect(store.stats()).toMatchObject({ version: 6, count: RECORDS, syncedAt: NOW });
    expect(store.get("1")).toMatchObject({ person: "p-1" });
    expect(store.get(String(RECORDS))).toMatchObject({ person: `p-${RECORDS}` });
    expect(store.get("100001")).toBeUndefined();
  });
});

describe("BodyApplication when its parser fails", () => {
  it("throws, and what it staged goes without touching the allowlist in force", async () => {
    const store = await storeAtV6();
    // A parsing thread that died: every parse it was given rejects.
    const dead: BodyLineParser = {
      parse: () => Promise.reject(new Error("the parsing thread exited (1)")),
      stop: () => Promise.resolve(),
    };
    const body = new BodyApplication(store, { ...OPTIONS, now: NOW + 1 }, dead);
    const turns = new EventLoopTurns();
    const failure = (async () => {
      for await (const chunk of chunked(v7(), 8192)) {
        body.push(chunk);
        await body.settle(turns);
      }
      await body.finish(turns);
      return body.commit();
    })();
    await expect(failure).rejects.toThrow("the parsing thread exited");
    body.discard();
    expect(store.stats()).toMatchObject({ version: 6, count: RECORDS, syncedAt: NOW });
    expect(store.get("100001")).toBeUndefined();
  });
});
