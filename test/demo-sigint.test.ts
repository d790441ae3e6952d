import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { DemoDirs, demoDecisions } from "./demo-output.js";
import { cliArgv, repoRoot } from "./run-cli.js";

const dirs = new DemoDirs();
afterAll(() => dirs.removeAll());

/** The built `passgate demo` without --duration, its output collected as it comes. */
function startDemo(dir: string) {
  const child = spawn(process.execPath, cliArgv(["demo", "--dir", dir]), {
    cwd: repoRoot,
    env: { ...process.env, PASSGATE_CONFIG: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (c: Buffer) => {
    out.stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    out.stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, out, exited };
}

// Both start a campus of their own; they run side by side to keep the file short.
describe.concurrent("passgate demo without --duration", () => {
  it("stops cleanly on SIGINT with the summary and exit code 0", async () => {
    const { child, out, exited } = startDemo(dirs.make());
    try {
      await waitUntil(() => demoDecisions(out.stdout).length >= 2, "decisions on stdout", 30_000);
      const signalledAt = Date.now();
      child.kill("SIGINT");
      const code = await exited;
      expect(Date.now() - signalledAt).toBeLessThan(10_000);
      expect(out.stderr).toBe("");
      expect(code).toBe(0);
      expect(out.stdout).toMatch(/passgate demo stopped after \d+ s: 2 gates, 4 lanes/);
      expect(out.stdout).toMatch(/false accepts 0 /);
    } finally {
      // A demo that did not stop must not outlive the test.
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 45_000);

  it("leaves at once on a second SIGINT, with exit code 130", async () => {
    const { child, out, exited } = startDemo(dirs.make());
    try {
      await waitUntil(() => demoDecisions(out.stdout).length >= 1, "decisions on stdout", 30_000);
      const signalledAt = Date.now();
      child.kill("SIGINT");
      await new Promise((resolve) => setTimeout(resolve, 100));
      child.kill("SIGINT");
      const code = await exited;
      expect(Date.now() - signalledAt).toBeLessThan(1_500);
      expect(code).toBe(130);
      expect(out.stderr).toBe("");
      expect(out.stdout).not.toContain("passgate demo stopped");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 45_000);
});
