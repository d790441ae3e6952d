import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openGateDatabase } from "../../app/gate-database.js";
import {
  EXAMPLE_PATH,
  EXAMPLE_SITE,
  EXAMPLE_TRUST,
  putLine,
  registryCredential,
  signedBody,
} from "../../daemon/allowlist/testing/test-bodies.js";
import { FakeClock } from "../../platform/testing/fake-clock.js";
import { formatAge } from "../ops/allowlist-text.js";
import { registerAllowlistCommand } from "./allowlist-command.js";

/** 2h 13m after the example's issuedAt. */
const NOW = Date.parse("2026-11-24T11:13:00Z");

let dir = "";
let stdout = "";
let stderr = "";
let closed = 0;

const storage = () => ({ path: join(dir, "gate.db"), synchronous: "normal" as const });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "passgate-allowlist-cli-"));
  // The gate's database, as its first start leaves it: every component, no allowlist yet.
  openGateDatabase(storage(), "write").close();
  stdout = "";
  stderr = "";
  closed = 0;
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<number> {
  process.exitCode = undefined;
  const program = new Command("passgate").exitOverride();
  const clock = new FakeClock(NOW);
  registerAllowlistCommand(
    program,
    (access) => {
      const db = openGateDatabase(storage(), access);
      return {
        db,
        site: EXAMPLE_SITE,
        trustedKeys: EXAMPLE_TRUST,
        timezone: "Europe/Moscow",
        close: () => {
          closed++;
          db.close();
        },
      };
    },
    clock,
  );
  await program.parseAsync(["node", "passgate", "allowlist", ...args]);
  return Number(process.exitCode ?? 0);
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("passgate allowlist", () => {
  it("imports the signed example, then shows its stats and credentials", async () => {
    expect(await run("import", EXAMPLE_PATH)).toBe(0);
    expect(stdout).toBe("imported snapshot v7 for site demo-campus: 4 credentials (4 put, 0 del)\n");

    stdout = "";
    expect(await run("stats")).toBe(0);
    expect(stdout).toContain("site     demo-campus\n");
    expect(stdout).toContain("version  v7\n");
    expect(stdout).toContain("count    4 credentials\n");
    // Times in the gate's zone, with its offset.
    expect(stdout).toContain("issued   2026-11-24T12:00:00.000+03:00 (age 2h 13m)\n");
    expect(stdout).toContain("synced   2026-11-24T14:13:00.000+03:00 (0s ago)");
    stdout = "";
    expect(await run("stats", "--utc")).toBe(0);
    expect(stdout).toContain("issued   2026-11-24T09:00:00.000Z (age 2h 13m)\n");

    stdout = "";
    expect(await run("stats", "--json")).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      site: "demo-campus",
      version: 7,
      count: 4,
      issuedAt: "2026-11-24T09:00:00.000Z",
      syncedAt: "2026-11-24T11:13:00.000Z",
      ageSeconds: 2 * 3600 + 13 * 60,
    });
    expect(closed).toBe(4);
  });

  it("shows a credential without its key material", async () => {
    await run("import", EXAMPLE_PATH);
    stdout = "";
    expect(await run("show", "42")).toBe(0);
    expect(stdout).toContain("credential 42\n");
    expect(stdout).toContain("name       Петров П. П.");
    expect(stdout).toContain("scheme     totp, 30 s period");
    expect(stdout).not.toMatch(/GEZDGNBV|secret|SHA1/);

    stdout = "";
    await run("show", "1001");
    expect(stdout).toContain(
      "valid      from 2026-09-01T03:00:00.000+03:00 until 2027-07-01T03:00:00.000+03:00 (in its validity now)",
    );
    stdout = "";
    await run("show", "1001", "--utc");
    expect(stdout).toContain(
      "valid      from 2026-09-01T00:00:00.000Z until 2027-07-01T00:00:00.000Z (in its validity now)",
    );
    expect(stdout).toContain("roles      student, staff");
    expect(stdout).not.toContain("11qYAYKx");

    stdout = "";
    await run("show", "2001");
    expect(stdout).toContain("guardians  p-0077 (notified of passages)");
  });

  it("exits 1 for an unknown credential id and 2 for a malformed one, on one line each", async () => {
    await run("import", EXAMPLE_PATH);
    expect(await run("show", "999")).toBe(1);
    expect(stderr).toBe(
      'passgate: credential 999 is not in the allowlist (v7, 4 credentials) — check the id, or run "passgate sync now"\n',
    );
    stderr = "";
    expect(await run("show", "0042")).toBe(2);
    expect(stderr).toMatch(/^passgate: "0042" is not a credential id — give the decimal id, such as 1001\n$/);
  });

  it("shows a credential as JSON without its key material", async () => {
    await run("import", EXAMPLE_PATH);
    stdout = "";
    expect(await run("show", "42", "--json")).toBe(0);
    const shown = JSON.parse(stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ id: "42", scheme: "totp", periodSeconds: 30, status: "active" });
    expect(stdout).not.toMatch(/GEZDGNBV|secret|SHA1/);
  });

  it("refuses a tampered file, says why, and keeps the allowlist in force", async () => {
    await run("import", EXAMPLE_PATH);
    const newer = signedBody({ to: 8 }, [putLine(registryCredential(5))]);
    const tampered = file("tampered.ndjson", newer.replace('"p-5"', '"p-6"'));
    expect(await run("import", tampered)).toBe(1);
    expect(stderr).toBe(
      "allowlist import refused (digest_mismatch): the body's SHA-256 does not match its trailer: it was altered or damaged on the way; the allowlist in force is unchanged (v7, 4 credentials)\n",
    );
    stdout = "";
    await run("stats", "--json");
    expect(JSON.parse(stdout)).toMatchObject({ version: 7, count: 4 });
  });

  it("reports a missing file as a refused import, exit 2", async () => {
    expect(await run("import", join(dir, "nope.ndjson"))).toBe(2);
    expect(stderr).toMatch(
      /^allowlist import refused \(read_error\): could not read the body: ENOENT.*\(no allowlist yet\)\n$/,
    );
  });

  it("imports a delta on top", async () => {
    await run("import", EXAMPLE_PATH);
    stdout = "";
    const delta = file(
      "delta.ndjson",
      signedBody({ kind: "delta", from: 7, to: 8 }, [putLine(registryCredential(5))]),
    );
    expect(await run("import", delta)).toBe(0);
    expect(stdout).toBe("imported delta v7→v8 for site demo-campus: 5 credentials (1 put, 0 del)\n");
  });

  it("says when there is no allowlist yet", async () => {
    expect(await run("stats")).toBe(0);
    expect(stdout).toMatch(/^no allowlist yet \(0 credentials\)/);
  });

  it("exits 2 when the database cannot be opened, and closes nothing it did not open", async () => {
    const program = new Command("passgate").exitOverride();
    registerAllowlistCommand(program, () => {
      throw new Error("config file passgate.yaml not found");
    });
    await program.parseAsync(["node", "passgate", "allowlist", "stats"]);
    expect(process.exitCode).toBe(2);
    expect(stderr).toBe("cannot open the allowlist: config file passgate.yaml not found\n");
  });
});

describe("formatAge", () => {
  it.each([
    [0, "0s"],
    [59_999, "59s"],
    [60_000, "1m"],
    [(2 * 60 + 13) * 60_000, "2h 13m"],
    [(3 * 24 + 4) * 3600_000 + 59_000, "3d 4h"],
    [-5 * 60_000, "-5m"],
  ])("%i ms reads %s", (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});
