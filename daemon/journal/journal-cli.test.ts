import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { registerJournalCommand } from "../../cli/commands/journal-command.js";
import { openDatabase } from "../../platform/database/database.js";
import { Journal } from "./journal.js";
import type { JournalRecord } from "./journal-entry.js";

// The CLI test lives here so that `vitest run daemon/journal` covers the whole journal.

function record(n: number): JournalRecord {
  return {
    kind: "decision",
    at: Date.UTC(2026, 10, 24, 9, 0, n),
    gate: "main-1",
    reader: "in",
    direction: "in",
    credential: String(1000 + n),
    person: `p-${1000 + n}`,
    step: 58_800_000 + n,
    result: "granted",
    reason: "ok",
    data: {},
  };
}

/** A database file with `count` entries; returns its path. */
function journalFile(count: number): string {
  const path = join(mkdtempSync(join(tmpdir(), "passgate-journal-cli-")), "gate.db");
  const db = openDatabase(path);
  const journal = Journal.open(db);
  for (let n = 1; n <= count; n++) journal.append(record(n));
  db.close();
  return path;
}

async function run(path: string, ...args: string[]): Promise<{ out: string; err: string; code: number }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => out.push(String(chunk)) > 0);
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => err.push(String(chunk)) > 0);
  try {
    const program = new Command("passgate").exitOverride();
    registerJournalCommand(program, () => openDatabase(path, { readonly: true }));
    await program.parseAsync(["journal", ...args], { from: "user" });
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return { out: out.join(""), err: err.join(""), code: Number(process.exitCode ?? 0) };
}

beforeEach(() => {
  process.exitCode = undefined;
});
afterEach(() => {
  process.exitCode = undefined;
});

describe("passgate journal verify", () => {
  it("prints OK, the count and the head, and exits 0", async () => {
    const path = journalFile(3);
    const head = Journal.open(openDatabase(path, { readonly: true })).head();
    const { out, code } = await run(path, "verify");
    expect(out).toBe(`journal OK: 3 entries, head #3 ${head?.hash.slice(0, 8)}…\n`);
    expect(code).toBe(0);
  });

  it("prints where the chain breaks and exits 1", async () => {
    const path = journalFile(5);
    const db = openDatabase(path);
    db.exec("UPDATE journal SET reason = 'free_passage' WHERE seq = 2");
    db.close();
    const { out, code } = await run(path, "verify");
    expect(out).toBe("journal BROKEN at #2: entry edited (hash mismatch) (5 entries)\n");
    expect(code).toBe(1);
  });

  it("--json prints the report as one JSON document, exit 0 or 1 as without it", async () => {
    const path = journalFile(3);
    const head = Journal.open(openDatabase(path, { readonly: true })).head();
    const ok = await run(path, "verify", "--json");
    expect(JSON.parse(ok.out)).toEqual({ ok: true, entries: 3, head: { seq: 3, hash: head?.hash } });
    expect(ok.code).toBe(0);

    const db = openDatabase(path);
    db.exec("UPDATE journal SET reason = 'free_passage' WHERE seq = 2");
    db.close();
    process.exitCode = undefined;
    const broken = await run(path, "verify", "--json");
    expect(JSON.parse(broken.out)).toMatchObject({
      ok: false,
      entries: 3,
      firstBadSeq: 2,
      problem: "hash_mismatch",
      message: "entry edited (hash mismatch)",
    });
    expect(broken.code).toBe(1);
  });

  it("exits 2 when there is no journal", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "passgate-journal-cli-")), "none.db");
    openDatabase(path).close();
    const { out, err, code } = await run(path, "verify");
    expect(out).toBe("");
    expect(err).toContain("has no journal");
    expect(code).toBe(2);
  });
});

describe("passgate journal tail", () => {
  it("prints the newest entries as lines (--utc: times in UTC)", async () => {
    const path = journalFile(5);
    const { out, code } = await run(path, "tail", "-n", "2", "--utc");
    expect(out).toBe(
      "#4 2026-11-24T09:00:04.000Z main-1 in  granted ok        cred 1004 p-1004 step 58800004 reader in\n" +
        "#5 2026-11-24T09:00:05.000Z main-1 in  granted ok        cred 1005 p-1005 step 58800005 reader in\n",
    );
    expect(code).toBe(0);
  });

  it("prints one JSON object per line", async () => {
    const path = journalFile(3);
    const { out } = await run(path, "tail", "--json");
    const lines = out.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[2] ?? "")).toMatchObject({ ...record(3), seq: 3 });
  });

  it("prints times in a zone", async () => {
    const path = journalFile(1);
    const { out } = await run(path, "tail", "--tz", "Europe/Moscow");
    expect(out).toMatch(/^#1 2026-11-24T12:00:01\.000\+03:00 main-1/);
    // --utc wins over --tz.
    expect((await run(path, "tail", "--tz", "Europe/Moscow", "--utc")).out).toMatch(
      /^#1 2026-11-24T09:00:01\.000Z main-1/,
    );
  });

  it("follows new entries until SIGINT", async () => {
    const path = journalFile(1);
    const writerDb = openDatabase(path);
    const writer = Journal.open(writerDb);
    const before = new Set(process.listeners("SIGINT"));
    const done = run(path, "tail", "--follow");
    // The command's own handler, called directly: emitting SIGINT would reach the test runner's too.
    const onSigint = await vi.waitFor(() => {
      const added = process.listeners("SIGINT").find((l) => !before.has(l));
      if (added === undefined) throw new Error("not following yet");
      return added;
    });
    writer.append(record(2));
    await new Promise((resolve) => setTimeout(resolve, 700));
    writer.append(record(3));
    await new Promise((resolve) => setTimeout(resolve, 700));
    onSigint("SIGINT");
    const { out } = await done;
    writerDb.close();
    expect(
      out
        .trimEnd()
        .split("\n")
        .map((l) => l.split(" ")[0]),
    ).toEqual(["#1", "#2", "#3"]);
    expect(process.listeners("SIGINT").filter((l) => !before.has(l))).toEqual([]);
  });
});
