import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { registerConfigCommand } from "../cli/commands/config-command.js";

// The CLI side of config/: `passgate config check | get | set`, run in-process.

const EXAMPLE = new URL("./example.yaml", import.meta.url).pathname;

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "passgate-cli-config-"));
  file = join(dir, "passgate.yaml");
  copyFileSync(EXAMPLE, file);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = undefined;
});

/** Runs `passgate <args>` with a root program like the real one; returns what it printed. */
async function passgate(...args: string[]): Promise<{ out: string; err: string; exitCode: number }> {
  let out = "";
  let err = "";
  const program = new Command("passgate").option("--config <file>", "config file").exitOverride();
  program.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerConfigCommand(program);
  process.exitCode = undefined;
  await program.parseAsync(args, { from: "user" });
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { out, err, exitCode };
}

describe("passgate config", () => {
  it("check prints a one-line summary of a valid file", async () => {
    expect(await passgate("--config", file, "config", "check")).toEqual({
      out: "config OK: site demo-campus, gate main-1, 1 reader, 1 relay, 4 rules\n",
      err: "",
      exitCode: 0,
    });
  });

  it("check takes --config after the subcommand and PASSGATE_CONFIG", async () => {
    expect((await passgate("config", "check", "--config", file)).exitCode).toBe(0);
    process.env.PASSGATE_CONFIG = file;
    try {
      expect((await passgate("config", "check")).out).toMatch(/^config OK/);
    } finally {
      delete process.env.PASSGATE_CONFIG;
    }
  });

  it("check lists every problem and exits 1", async () => {
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("mode: soft", "mode: strict").replace("attempts: 5", "attempts: x"),
    );
    const { out, err, exitCode } = await passgate("--config", file, "config", "check");
    expect(out).toBe("");
    expect(exitCode).toBe(1);
    const lines = err.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(
        `^${file}:\\d+ policy.antiPassback.mode: expected one of off, hard, soft, timed \\(got "strict"\\)$`,
      ),
    );
    expect(lines[1]).toMatch(/policy.lockout.attempts: expected a number, got a string$/);
  });

  it("check reports a missing file", async () => {
    const { err, exitCode } = await passgate("--config", join(dir, "nope.yaml"), "config", "check");
    expect(exitCode).toBe(1);
    expect(err).toMatch(
      /^passgate: no config at .*nope\.yaml — pass --config FILE, set PASSGATE_CONFIG, or create one with passgate init\n$/,
    );
  });

  it("get prints scalars plain and sections as YAML", async () => {
    expect((await passgate("--config", file, "config", "get", "readers.0.id")).out).toBe("in\n");
    expect((await passgate("--config", file, "config", "get", "policy.lockout.attempts")).out).toBe("5\n");
    expect((await passgate("--config", file, "config", "get", "policy.rules.0")).out).toBe(
      "name: students\nroles:\n  - student\nzones: []\ndirections:\n  - in\n  - out\nschedule: lectures\n",
    );
  });

  it("check --json lists every problem with its path and line, exit 1; a valid file has none", async () => {
    expect(JSON.parse((await passgate("--config", file, "config", "check", "--json")).out)).toEqual({
      file,
      ok: true,
      problems: [],
    });
    writeFileSync(file, readFileSync(file, "utf8").replace("attempts: 5", "attempts: x"));
    const { out, err, exitCode } = await passgate("--config", file, "config", "check", "--json");
    expect(exitCode).toBe(1);
    expect(err).toBe("");
    const report = JSON.parse(out) as {
      ok: boolean;
      problems: { path: string; line: number; message: string }[];
    };
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      {
        path: "policy.lockout.attempts",
        line: expect.any(Number),
        column: null,
        message: "expected a number, got a string",
      },
    ]);
  });

  it("check --json reports a missing file as one problem saying what to do", async () => {
    const missing = join(dir, "nope.yaml");
    const { out, exitCode } = await passgate("--config", missing, "config", "check", "--json");
    expect(exitCode).toBe(1);
    expect(JSON.parse(out)).toEqual({
      file: missing,
      ok: false,
      problems: [
        {
          path: "",
          line: null,
          column: null,
          message: `no config at ${missing} — pass --config FILE, set PASSGATE_CONFIG, or create one with passgate init`,
        },
      ],
    });
  });

  it("get --json prints the effective value as JSON", async () => {
    expect((await passgate("--config", file, "config", "get", "policy.lockout.attempts", "--json")).out).toBe(
      "5\n",
    );
    const rules = JSON.parse(
      (await passgate("--config", file, "config", "get", "policy.rules", "--json")).out,
    );
    expect(rules).toHaveLength(4);
  });

  it("get fails on an unset or unknown key", async () => {
    expect(await passgate("--config", file, "config", "get", "mqtt.url")).toMatchObject({
      out: "",
      err: 'passgate: mqtt.url is not set and has no default — set it with "passgate config set mqtt.url VALUE"\n',
      exitCode: 1,
    });
    const unknown = await passgate("--config", file, "config", "get", "policy.zones");
    expect(unknown.exitCode).toBe(1);
    expect(unknown.err).toMatch(/no key "zones" in policy \(did you mean "zone"\?\)/);
  });

  it("set writes the value and keeps the rest of the file", async () => {
    const before = readFileSync(file, "utf8");
    expect(await passgate("--config", file, "config", "set", "policy.lockout.attempts", "8")).toEqual({
      out: `set policy.lockout.attempts to 8 in ${file}\n`,
      err: "",
      exitCode: 0,
    });
    expect(readFileSync(file, "utf8")).toBe(before.replace("    attempts: 5", "    attempts: 8"));
  });

  it("set refuses an invalid value with the reason and leaves the file alone", async () => {
    const before = readFileSync(file, "utf8");
    const { out, err, exitCode } = await passgate(
      "--config",
      file,
      "config",
      "set",
      "policy.antiPassback.mode",
      "strict",
    );
    expect(out).toBe("");
    expect(exitCode).toBe(1);
    expect(err).toMatch(
      new RegExp(`^${file}: refused to set policy.antiPassback.mode; the file is unchanged\n`),
    );
    expect(err).toMatch(/policy.antiPassback.mode: expected one of off, hard, soft, timed \(got "strict"\)/);
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("set takes a negative number as the value", async () => {
    const { err, exitCode } = await passgate("--config", file, "config", "set", "token.window", "-1");
    expect(exitCode).toBe(1);
    expect(err).toMatch(/token.window: expected 0 or more \(got -1\)/);
  });
});
