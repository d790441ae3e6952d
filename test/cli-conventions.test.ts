import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Command, CommanderError } from "commander";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { buildProgram } from "../cli/program.js";
import type { CliResult } from "./run-cli.js";
import { runCliAsync } from "./run-cli-async.js";

// The conventions every passgate command keeps (docs/cli.md): help with examples, one-line
// errors that say what to do, and exit codes 0 ok, 1 failure, 2 usage error.

/** Every command path under the root, e.g. ["config", "check"]; the root itself is []. */
function commandPaths(command: Command, path: readonly string[] = []): string[][] {
  return [[...path], ...command.commands.flatMap((sub) => commandPaths(sub, [...path, sub.name()]))];
}

/** Runs `passgate <path> --help` in this process; returns what it printed and the exit code. */
async function helpOf(path: readonly string[]): Promise<{ out: string; code: number }> {
  let out = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  try {
    await buildProgram().parseAsync(["node", "passgate", ...path, "--help"]);
    throw new Error(`passgate ${path.join(" ")} --help did not stop after the help`);
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    return { out, code: err.exitCode };
  } finally {
    spy.mockRestore();
  }
}

const paths = commandPaths(buildProgram());

describe("passgate <command> --help", () => {
  it("finds the whole command tree", () => {
    // A guard against a walk that silently finds nothing: these exist since the first release.
    const names = paths.map((p) => p.join(" "));
    expect(names).toEqual(
      expect.arrayContaining(["", "config check", "allowlist stats", "journal tail", "sync status"]),
    );
    expect(paths.length).toBeGreaterThan(20);
  });

  it.each(paths.map((p) => [p.join(" ") || "(root)", p] as const))(
    "%s: help with an Examples: section, exit 0",
    async (_name, path) => {
      const { out, code } = await helpOf(path);
      expect(code).toBe(0);
      expect(out).toContain(`Usage: ${["passgate", ...path].join(" ")}`);
      const examples = out.slice(out.indexOf("Examples:"));
      expect(out).toContain("\nExamples:\n");
      // At least one example line that runs passgate itself.
      expect(examples).toMatch(/\n {2}passgate /);
    },
  );
});

describe("passgate exit codes and one-line errors (child process)", () => {
  // Exit codes as the shell sees them, from the built CLI; the children run side by side.
  let results: Map<string, CliResult>;
  const missing = join(tmpdir(), `passgate-no-such-dir-${process.pid}`, "gate.yaml");
  const runs: Record<string, readonly string[]> = {
    help: ["--help"],
    version: ["--version"],
    unknownCommand: ["frobnicate"],
    unknownOption: ["sync", "status", "--jsn"],
    badValue: ["journal", "tail", "-n", "many"],
    badMode: ["--config", "config/example.yaml", "mode", "set", "panic"],
    noConfigCheck: ["config", "check"],
    noConfigAllowlist: ["allowlist", "stats"],
    noConfigJournal: ["journal", "verify"],
    noConfigNamed: ["--config", missing, "sync", "status"],
  };
  beforeAll(async () => {
    const entries = await Promise.all(
      Object.entries(runs).map(async ([name, args]) => [name, await runCliAsync(args)] as const),
    );
    results = new Map(entries);
  }, 60_000);
  const result = (name: keyof typeof runs): CliResult => {
    const r = results.get(name);
    if (r === undefined) throw new Error(`no run named ${name}`);
    return r;
  };

  it("--help and --version exit 0 and print to stdout", () => {
    expect(result("help")).toMatchObject({ code: 0, stderr: "" });
    expect(result("help").stdout).toContain("Examples:");
    expect(result("version").code).toBe(0);
    expect(result("version").stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("an unknown command exits 2 with commander's message and a hint, on one line", () => {
    expect(result("unknownCommand")).toEqual({
      code: 2,
      stdout: "",
      stderr: `passgate: unknown command 'frobnicate' — see "passgate --help"\n`,
    });
  });

  it("an unknown option exits 2 on one line, naming the command's help", () => {
    expect(result("unknownOption")).toMatchObject({
      code: 2,
      stderr: `passgate: unknown option '--jsn' (Did you mean --json?) — see "passgate sync status --help"\n`,
    });
  });

  it("a bad option value or argument exits 2 on one line", () => {
    expect(result("badValue").code).toBe(2);
    expect(result("badValue").stderr).toMatch(
      /^passgate: [^\n]*'many' is invalid[^\n]* — see "passgate journal tail --help"\n$/,
    );
    expect(result("badMode").code).toBe(2);
    expect(result("badMode").stderr).toMatch(
      /^passgate: unknown mode "panic": expected normal, lockdown, free[^\n]*\n$/,
    );
  });

  it.each(["noConfigCheck", "noConfigAllowlist", "noConfigJournal"] as const)(
    "a missing config file: one line saying what to do, no stack, exit 1 (%s)",
    (name) => {
      expect(result(name)).toEqual({
        code: 1,
        stdout: "",
        stderr:
          "passgate: no config at ./passgate.yaml — pass --config FILE, set PASSGATE_CONFIG, or create one with passgate init\n",
      });
    },
  );

  it("names the file given with --config when it is missing", () => {
    expect(result("noConfigNamed")).toEqual({
      code: 1,
      stdout: "",
      stderr: `passgate: no config at ${missing} — pass --config FILE, set PASSGATE_CONFIG, or create one with passgate init\n`,
    });
  });
});
