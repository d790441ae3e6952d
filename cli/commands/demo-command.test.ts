import { Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { registerDemoCommand } from "./demo-command.js";

/** Parses `args` with only the demo command registered; returns what commander printed and its exit code. */
function parse(args: readonly string[]): { code: number; out: string; err: string } {
  const program = new Command("passgate").exitOverride();
  let out = "";
  let err = "";
  program.configureOutput({
    writeOut: (s) => {
      out += s;
    },
    writeErr: (s) => {
      err += s;
    },
  });
  registerDemoCommand(program);
  for (const command of program.commands) command.exitOverride().configureOutput(program.configureOutput());
  try {
    program.parse(["demo", ...args], { from: "user" });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return { code: e.exitCode, out, err };
  }
  throw new Error("expected the parse to stop before running the demo");
}

describe("passgate demo options", () => {
  it.each([
    [["--gates", "0"], "--gates <n>' argument '0' is invalid. expected a whole number from 1 to 16"],
    [["--gates", "2.5"], "expected a whole number from 1 to 16"],
    [["--rate", "601"], "expected a whole number from 1 to 600"],
    [["--duration", "-1"], "expected seconds, more than 0 and at most 86400"],
    [["--duration", "soon"], "expected seconds, more than 0 and at most 86400"],
    [["--broker", "http://broker:1883"], "expected an mqtt:// or mqtts:// URL, such as mqtt://host:1883"],
    [["--broker", "broker:1883"], "expected an mqtt:// or mqtts:// URL"],
    [["--log-level", "loud"], "Allowed choices are trace, debug, info, warn, error, silent"],
  ])("%j is a usage error", (args, message) => {
    const { code, err } = parse(args);
    expect(code).not.toBe(0);
    expect(err).toContain(message);
  });

  it("has help with the options and examples", () => {
    const { code, out } = parse(["--help"]);
    expect(code).toBe(0);
    for (const option of [
      "--duration <s>",
      "--gates <n>",
      "--rate <n>",
      "--broker <url>",
      "--no-faults",
      "--dir <dir>",
    ])
      expect(out).toContain(option);
    expect(out).toContain("Examples:");
    expect(out).toContain("passgate demo --broker mqtt://");
    expect(out).toContain("Exit codes:");
  });
});
