import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { cliArgv, repoRoot } from "./run-cli.js";

describe("the CLI into a pipe closed early", () => {
  it("leaves quietly with exit 0, as `passgate --help | head -1` expects", async () => {
    const child = spawn(process.execPath, cliArgv(["--help"]), {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // The reader takes the first chunk and closes its end, as `head -1` does.
    child.stdout.once("data", () => child.stdout.destroy());
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(stderr).not.toContain("EPIPE");
    expect(stderr).not.toContain("Error");
    expect(code).toBe(0);
  });
});
