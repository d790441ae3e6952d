import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { openGateDatabase } from "../app/gate-database.js";
import { SNAPSHOT_STAGING_PREFIX } from "../daemon/allowlist/sqlite-allowlist-staging.js";
import { SqliteAllowlistStore } from "../daemon/allowlist/sqlite-allowlist-store.js";
import { putLine, registryCredential, signedBody } from "../daemon/allowlist/testing/test-bodies.js";
import { openDatabase } from "../platform/database/database.js";
import { cliArgv, repoRoot, runCli } from "./run-cli.js";

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function gateConfig(dir: string): string {
  const path = join(dir, "passgate.yaml");
  writeFileSync(
    path,
    `site: demo-campus
gate: main-1
timezone: Europe/Moscow
storage:
  path: ./gate.db
registry:
  trustedKeys:
    test-2026: PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw
policy:
  rules:
    - name: everyone
      roles: [staff, student]
`,
  );
  return path;
}

/** Rows written so far in the snapshot staging table, read from another connection; 0 when there is none yet. */
function stagedRows(dbPath: string): number {
  const db = openDatabase(dbPath, { readonly: true });
  try {
    const [table] = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, ?) = ?")
      .pluck()
      .all(SNAPSHOT_STAGING_PREFIX.length, SNAPSHOT_STAGING_PREFIX) as string[];
    return table === undefined ? 0 : (db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number);
  } finally {
    db.close();
  }
}

describe("passgate allowlist import killed with SIGKILL in the middle of a snapshot", () => {
  it("leaves the allowlist in force whole: the gate opens the database and finds the old one in force", async () => {
    const dir = mkdtempSync(join(tmpdir(), "passgate-import-kill-"));
    const config = gateConfig(dir);
    const dbPath = join(dir, "gate.db");
    const v1 = join(dir, "v1.ndjson");
    writeFileSync(
      v1,
      signedBody(
        { to: 1 },
        range(1, 3000).map((id) => putLine(registryCredential(id))),
      ),
    );
    const first = runCli(["--config", config, "allowlist", "import", v1]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);

    // v2 revokes everyone in v1 and adds 20,000 more. It is fed through a named pipe, so
    // the import is certainly mid-body when it is killed: everything but the trailer is
    // written, then the test waits until thousands of rows sit in the staging table.
    const v2 = signedBody(
      { to: 2 },
      range(1, 23_000).map((id) => putLine(registryCredential(id, id <= 3000 ? { status: "revoked" } : {}))),
    );
    const withoutTrailer = v2.slice(0, v2.lastIndexOf("\n", v2.length - 2) + 1);
    const fifo = join(dir, "v2.fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const child = spawn(process.execPath, cliArgv(["--config", config, "allowlist", "import", fifo]), {
      cwd: repoRoot,
      env: { ...process.env, PASSGATE_CONFIG: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once("close", (_c, s) => resolve(s)),
    );
    const pipe = createWriteStream(fifo);
    // Errors once the reader is killed (EPIPE): expected, and nothing more is written then.
    pipe.on("error", () => undefined);
    pipe.write(withoutTrailer);

    const deadline = Date.now() + 60_000;
    while (stagedRows(dbPath) < 5000 && Date.now() < deadline) await sleep(20);
    const staged = stagedRows(dbPath);
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    pipe.destroy();
    expect(output).toBe("");
    expect(staged).toBeGreaterThanOrEqual(5000);

    // The gate opens its database as `passgate run` does: the old allowlist is in force, whole.
    const db = openGateDatabase({ path: dbPath, synchronous: "normal" }, "write");
    try {
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      const store = SqliteAllowlistStore.open(db);
      expect(store.stats()).toMatchObject({ site: "demo-campus", version: 1, count: 3000 });
      for (const id of range(1, 3000)) expect(store.get(String(id))?.status).toBe("active");
      expect(store.get("3001")).toBeUndefined();
    } finally {
      db.close();
    }

    // And the next import applies over it: the revocations take effect.
    const v2File = join(dir, "v2.ndjson");
    writeFileSync(v2File, v2);
    const again = runCli(["--config", config, "allowlist", "import", v2File]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    const after = openGateDatabase({ path: dbPath, synchronous: "normal" }, "read");
    try {
      const store = SqliteAllowlistStore.open(after);
      expect(store.stats()).toMatchObject({ version: 2, count: 23_000 });
      expect(store.get("1")?.status).toBe("revoked");
    } finally {
      after.close();
    }
  }, 120_000);
});
