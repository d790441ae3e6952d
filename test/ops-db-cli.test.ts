import { fork } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GATE_SCHEMAS } from "../app/gate-database.js";
import { ALLOWLIST_SCHEMA } from "../daemon/allowlist/sqlite-allowlist-store.js";
import { Journal } from "../daemon/journal/journal.js";
import { JOURNAL_SCHEMA } from "../daemon/journal/journal-schema.js";
import { migrate, openDatabase } from "../platform/database/database.js";
import { runCliInProcess } from "./cli-harness.js";
import { OpsGate } from "./ops-fixture.js";
import { repoRoot } from "./run-cli.js";

let gate: OpsGate;
let config: string;
beforeEach(async () => {
  gate = new OpsGate();
  await gate.seed();
  config = gate.writeConfig();
  gate.appendDecisions(50, Date.now() - 3_600_000);
});
afterEach(() => gate.close());

describe("passgate db check", { timeout: 60_000 }, () => {
  it("a sound database: integrity ok, journal ok, schema versions and sizes", async () => {
    const text = await runCliInProcess(["-c", config, "db", "check"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^integrity ok$/m);
    expect(text.stdout).toMatch(/^journal {3}ok, 50 entries, head #50$/m);
    expect(text.stdout).toMatch(/^schemas {3}.*allowlist v1.*journal v\d/m);
    expect(text.stdout).toMatch(/^mode {6}wal$/m);
    const json = JSON.parse((await runCliInProcess(["-c", config, "db", "check", "--json"])).stdout);
    expect(json).toMatchObject({
      integrity: { ok: true, problems: [] },
      journal: { ok: true, entries: 50, headSeq: 50 },
      journalMode: "wal",
    });
    expect(json.sizes.fileBytes).toBeGreaterThan(0);
  });

  it("an edited journal entry: exit 1 and where the chain breaks", async () => {
    const db = openDatabase(gate.dbPath);
    db.prepare("UPDATE journal SET reason = 'ok-edited' WHERE seq = 20").run();
    db.close();
    const result = await runCliInProcess(["-c", config, "db", "check"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^journal {3}BROKEN at #20: entry edited/m);
  });

  it("no database yet: one line saying what to do, exit 1", async () => {
    const other = new OpsGate();
    try {
      const result = await runCliInProcess(["-c", other.writeConfig(), "db", "check"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^passgate: no database at .* yet — start the gate once/);
    } finally {
      other.close();
    }
  });
});

describe("passgate db backup", { timeout: 60_000 }, () => {
  it("the copy holds every TOTP secret: 0600 under the usual umask 022", async () => {
    const file = join(gate.dir, "private.db");
    const before = process.umask(0o022);
    try {
      expect((await runCliInProcess(["-c", config, "db", "backup", file])).code).toBe(0);
    } finally {
      process.umask(before);
    }
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("writes a verified single-file copy; refuses to overwrite without --force", async () => {
    const file = join(gate.dir, "backup.db");
    const first = await runCliInProcess(["-c", config, "db", "backup", file]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /^backup written to .*backup\.db: .*, integrity ok, journal ok \(50 entries\)$/m,
    );
    expect(existsSync(`${file}-wal`)).toBe(false);
    expect(existsSync(`${file}.tmp`)).toBe(false);

    const again = await runCliInProcess(["-c", config, "db", "backup", file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `passgate: ${file} already exists — choose another file or pass --force to replace it\n`,
    );
    expect((await runCliInProcess(["-c", config, "db", "backup", file, "--force"])).code).toBe(0);
  });

  it("while another process keeps appending journal entries, the copy opens and its journal verifies", async () => {
    // A writer in its own process, as the daemon would be: appends until told to stop.
    const writer = fork(join(repoRoot, "test/journal-writer.ts"), [gate.dbPath], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    const counts: number[] = [];
    writer.on("message", (m) => counts.push(Number(m)));
    try {
      await new Promise((resolve) => writer.once("message", resolve));
      const files = [join(gate.dir, "b1.db"), join(gate.dir, "b2.db")];
      for (const file of files) {
        const result = await runCliInProcess(["-c", config, "db", "backup", file]);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
      }
      const entries = files.map((file) => {
        const copy = openDatabase(file, { readonly: true });
        try {
          const report = Journal.open(copy).verify();
          expect(report.ok).toBe(true);
          return report.entries;
        } finally {
          copy.close();
        }
      });
      // The writer kept going between and during the backups: the second copy holds more.
      expect(entries[1]).toBeGreaterThan(entries[0] ?? 0);
      expect(entries[0]).toBeGreaterThan(50);
    } finally {
      writer.send("stop");
      await new Promise((resolve) => writer.once("exit", resolve));
    }
    const live = openDatabase(gate.dbPath, { readonly: true });
    expect(Journal.open(live).verify().ok).toBe(true);
    live.close();
  });
});

describe("passgate db upgrade", { timeout: 60_000 }, () => {
  it("an older passgate's database: refused by status, upgraded (saying what changed), then read", async () => {
    const old = new OpsGate();
    try {
      const oldConfig = old.writeConfig();
      // What an older passgate left: the allowlist, the journal at its first version, no gate state or sync.
      const db = openDatabase(old.dbPath);
      migrate(db, ALLOWLIST_SCHEMA.component, ALLOWLIST_SCHEMA.migrations);
      migrate(db, JOURNAL_SCHEMA.component, JOURNAL_SCHEMA.migrations.slice(0, 1));
      db.close();

      const refused = await runCliInProcess(["-c", oldConfig, "status"]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe("");
      expect(refused.stderr).toBe(
        `passgate: the database at ${old.dbPath} has version 1 of journal (this passgate uses version 2): start the gate once (passgate run) or run passgate db upgrade, then try again\n`,
      );

      const upgraded = await runCliInProcess(["-c", oldConfig, "db", "upgrade"]);
      expect(upgraded.code).toBe(0);
      expect(upgraded.stdout.split("\n")[0]).toBe(`upgraded the database at ${old.dbPath}:`);
      expect(upgraded.stdout).toMatch(/^ {2}allowlist {3}v1 \(current\)$/m);
      expect(upgraded.stdout).toMatch(/^ {2}journal {5}v1 → v2$/m);
      expect(upgraded.stdout).toMatch(/^ {2}gate-state {2}none → v4$/m);
      expect(upgraded.stdout).toMatch(/^ {2}sync {8}none → v\d+$/m);
      expect(upgraded.stdout).toMatch(/^ {2}roster {6}none → v1$/m);

      const read = await runCliInProcess(["-c", oldConfig, "status", "--json"]);
      expect(read.code).toBe(0);
      expect(JSON.parse(read.stdout)).toMatchObject({ mode: { mode: "normal" }, sync: { version: null } });

      const again = await runCliInProcess(["-c", oldConfig, "db", "upgrade", "--json"]);
      expect(again.code).toBe(0);
      const report = JSON.parse(again.stdout) as { components: { from: number; to: number }[] };
      expect(report.components.map((c) => c.from === c.to)).toEqual(GATE_SCHEMAS.map(() => true));
    } finally {
      old.close();
    }
  });

  it("no database: exit 1, one line, and none is created", async () => {
    const other = new OpsGate();
    try {
      const result = await runCliInProcess(["-c", other.writeConfig(), "db", "upgrade"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^passgate: no database at .* yet — start the gate once[^\n]*\n$/);
      expect(existsSync(other.dbPath)).toBe(false);
    } finally {
      other.close();
    }
  });

  it("--help names it and has examples", async () => {
    const help = await runCliInProcess(["db", "upgrade", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Examples:\n  passgate db upgrade");
  });
});
