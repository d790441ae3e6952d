import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DemoDirs, demoDecisions } from "./demo-output.js";
import { runCli } from "./run-cli.js";

const dirs = new DemoDirs();
afterAll(() => dirs.removeAll());

describe("passgate demo (not on a terminal)", () => {
  it("runs a campus of two gates for --duration, one plain line per event, then the summary", () => {
    const dir = dirs.make();
    const { code, stdout, stderr } = runCli(["demo", "--duration", "3", "--rate", "120", "--dir", dir]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).not.toContain("\x1b");
    expect(stdout.split("\n")[0]).toMatch(
      /^passgate demo: broker mqtt:\/\/127\.0\.0\.1:\d+ \(embedded\), registry http/,
    );
    const gates = new Set(demoDecisions(stdout).map((d) => d.split("/")[0]));
    expect([...gates].sort()).toEqual(["gate-1", "gate-2"]);
    expect(stdout).toMatch(/passgate demo finished after \d+ s: 2 gates, 4 lanes/);
    expect(stdout).toMatch(/false accepts 0 /);
    expect(stdout).toContain(`passgate -c ${join(dir, "gate-1", "passgate.yaml")} journal tail`);
    expect(existsSync(join(dir, "gates.log"))).toBe(true);
  }, 45_000);
});
