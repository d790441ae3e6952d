import { Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { registerSimCampusCommand } from "./sim-campus-command.js";

/** Parses `sim campus <args>` with only that command registered; the run itself never starts. */
async function parse(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const program = new Command("passgate").exitOverride();
  let out = "";
  let err = "";
  const output = {
    writeOut: (s: string) => {
      out += s;
    },
    writeErr: (s: string) => {
      err += s;
    },
  };
  program.configureOutput(output);
  const sim = program.command("sim").exitOverride().configureOutput(output);
  registerSimCampusCommand(sim);
  for (const command of sim.commands) command.exitOverride().configureOutput(output);
  try {
    await program.parseAsync(["sim", "campus", ...args], { from: "user" });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return { code: e.exitCode, out, err };
  }
  throw new Error("expected the parse to stop before running the campus");
}

describe("passgate sim campus options", () => {
  it("refuses more than 16 gates in one process, with the way out (exit 2)", async () => {
    const { code, err } = await parse(["--duration", "5", "--gates", "17"]);
    expect(code).toBe(2);
    expect(err).toContain("--gates 17: at most 16 in one process; add --processes for more");
  });

  it.each([
    [["--duration", "5", "--gates", "65", "--processes"], "expected a whole number from 1 to 64"],
    [["--duration", "5", "--gates", "0"], "expected a whole number from 1 to 64"],
  ])("%j is a usage error", async (args, message) => {
    const { code, err } = await parse(args);
    expect(code).not.toBe(0);
    expect(err).toContain(message);
  });

  it("has --processes in its help, with an example", async () => {
    const { code, out } = await parse(["--help"]);
    expect(code).toBe(0);
    expect(out).toContain("--processes");
    expect(out).toContain("passgate sim campus --duration 90 --gates 50 --processes");
  });
});
