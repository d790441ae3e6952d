import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openGateDatabase } from "../../app/gate-database.js";
import { Journal } from "../../daemon/journal/journal.js";
import { osUser } from "../handlers/mode-set.js";
import { withUsageConventions } from "../usage-conventions.js";
import { registerModeCommand } from "./mode-command.js";

let dir = "";
const storage = () => ({ path: join(dir, "gate.db"), synchronous: "normal" as const });
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "passgate-mode-cli-"));
  // The gate's database, as its first start leaves it.
  openGateDatabase(storage(), "write").close();
  process.exitCode = undefined;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = undefined;
});

/** Runs `passgate mode …` in-process on a database in `dir`; returns output and exit code. */
async function mode(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = "";
  let err = "";
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  const program = new Command("passgate");
  registerModeCommand(program, (access) => ({
    db: openGateDatabase(storage(), access),
    gate: "main-1",
    configMode: "normal",
    timezone: "Europe/Moscow",
  }));
  withUsageConventions(program);
  let code = 0;
  try {
    await program.parseAsync(["node", "passgate", "mode", ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (error) {
    code = (error as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return { out, err, code };
}

describe("passgate mode", () => {
  it("shows the mode from the config until it is set", async () => {
    const shown = await mode();
    expect(shown.code).toBe(0);
    // The time in the gate's zone, or in UTC with --utc.
    expect(shown.out).toMatch(/^normal \(since \S+\+03:00, set by config\)\n$/);
    expect((await mode("--utc")).out).toMatch(/^normal \(since \S+Z, set by config\)\n$/);
    expect((await mode("get", "--utc")).out).toMatch(/^normal \(since \S+Z, set by config\)\n$/);
  });

  it("get --json and mode --json print {mode, since, source}", async () => {
    await mode("set", "lockdown");
    for (const args of [["get", "--json"], ["--json"], ["--json", "get"]]) {
      const { out, code } = await mode(...args);
      expect(code).toBe(0);
      const parsed = JSON.parse(out) as { mode: string; since: string; source: string };
      expect(parsed).toEqual({ mode: "lockdown", since: expect.any(String), source: "cli" });
      expect(new Date(parsed.since).toISOString()).toBe(parsed.since);
    }
  });

  it("set reports a change, and no change the second time", async () => {
    expect((await mode("set", "free")).out).toMatch(/^mode set: free \(since .*, set by cli\)\n$/);
    expect((await mode("set", "free")).out).toMatch(/^mode unchanged: free/);
  });

  it("set journals who ran it: the OS user", async () => {
    vi.stubEnv("SUDO_USER", "");
    try {
      expect((await mode("set", "lockdown")).code).toBe(0);
      expect((await mode("set", "normal")).code).toBe(0);
    } finally {
      vi.unstubAllEnvs();
    }
    const db = openGateDatabase(storage(), "read");
    const modes = Journal.open(db)
      .tail(10)
      .filter((e) => e.kind === "mode");
    db.close();
    const me = userInfo().username;
    expect(modes.map((e) => [e.reason, e.data])).toEqual([
      ["lockdown", { from: "normal", source: "cli", by: me }],
      ["normal", { from: "lockdown", source: "cli", by: me }],
    ]);
  });

  it("under sudo, the journal names the person sudo names and the account it ran as", () => {
    const me = userInfo().username;
    expect(osUser({ SUDO_USER: "a.petrova" })).toBe(`a.petrova (sudo as ${me})`);
    expect(osUser({ SUDO_USER: me })).toBe(me);
    expect(osUser({})).toBe(me);
  });

  it("set with something that is not a mode is a usage error: exit 2, one line", async () => {
    const { out, err, code } = await mode("set", "panic");
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err).toBe(
      'passgate: unknown mode "panic": expected normal, lockdown, free — see "passgate mode set --help"\n',
    );
  });
});
