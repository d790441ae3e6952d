import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { phoneToken, staffToken } from "../app/testing/mqtt-gate-fixture.js";
import { cliArgv, repoRoot, runCli, sharedSpec } from "./run-cli.js";

function gateConfig(extra = ""): string {
  const dir = mkdtempSync(join(tmpdir(), "passgate-unclean-"));
  const path = join(dir, "passgate.yaml");
  writeFileSync(
    path,
    `site: demo-campus
gate: main-1
timezone: Europe/Moscow
storage:
  path: ./gate.db
registry:
  url: http://127.0.0.1:9
  trustedKeys:
    test-2026: PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw
readers:
  - id: in
    direction: in
    source: { type: stdin }
relays:
  - id: turnstile
    reader: in
    driver: { type: log }
policy:
  rules:
    - name: everyone
      roles: [staff, student]
${extra}`,
  );
  return path;
}

/** Starts `passgate run`, feeds it `scan`, and kills it with SIGKILL as soon as it logs the decision. */
function grantThenKill(
  config: string,
  scan: string,
): Promise<{ stderr: string; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, cliArgv(["--config", config, "run"]), {
    cwd: repoRoot,
    env: { ...process.env, PASSGATE_CONFIG: "" },
    stdio: ["pipe", "ignore", "pipe"],
  });
  let stderr = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    if (stderr.includes('"component":"decision"')) child.kill("SIGKILL");
  });
  child.stdin.write(`${scan}\n`);
  return new Promise((resolve) => {
    child.once("close", (_code, signal) => {
      clearTimeout(timer);
      resolve({ stderr, signal });
    });
  });
}

describe("passgate run killed with SIGKILL right after a grant", () => {
  it("keeps the grant's replay pair, and on the same boot refuses no other code after the restart", async () => {
    const config = gateConfig();
    const imported = runCli([
      "--config",
      config,
      "allowlist",
      "import",
      join(sharedSpec, "allowlist-example.ndjson"),
    ]);
    expect(imported.code, imported.stderr).toBe(0);

    const step = Math.floor(Date.now() / 30_000);
    const student = phoneToken("1001", step);
    const killed = await grantThenKill(config, student);
    expect(killed.signal).toBe("SIGKILL");
    expect(killed.stderr).toMatch(/"result":"granted"/);

    // The process died without its clean stop, but the machine did not: the OS still holds
    // every commit, so the granted code is refused (its journal entry is read back at start), and a code minted
    // before the restart (staff 42, same step) opens: no needless refusal after a crash.
    // (A power cut is another matter: app/power-cut-replay.test.ts plays that one.)
    const staff = staffToken(step);
    const rerun = runCli(["--config", config, "run"], { input: `${student}\n${staff}\n` });
    expect(rerun.code, rerun.stderr).toBe(0);
    const lines = rerun.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(
      lines.filter((l) => l.component === "decision").map((d) => `${d.credential}:${d.result}:${d.reason}`),
    ).toEqual(["1001:denied:replayed", "42:granted:ok"]);
    expect(
      lines.some((l) => String(l.msg).includes("did not stop cleanly; the machine did not restart")),
    ).toBe(true);

    // That run stopped cleanly (stdin ended): the next start says nothing of the kind.
    const third = runCli(["--config", config, "run"], { input: "" });
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).not.toContain("did not stop cleanly");
  });

  it("keeps the grant's passage: anti-passback holds after the restart", async () => {
    const config = gateConfig("  antiPassback: { mode: hard }\n");
    const imported = runCli([
      "--config",
      config,
      "allowlist",
      "import",
      join(sharedSpec, "allowlist-example.ndjson"),
    ]);
    expect(imported.code, imported.stderr).toBe(0);

    // Staff 42 enters, and the gate dies as it logs the grant: the passage is in the journal
    // entry, and (within a second, so most likely not yet) in the presence table.
    const step = Math.floor(Date.now() / 30_000);
    const killed = await grantThenKill(config, staffToken(step));
    expect(killed.signal).toBe("SIGKILL");
    expect(killed.stderr).toMatch(/"result":"granted"/);

    // A fresh code of the same person at the same entry reader: entered already, refused.
    const next = staffToken(step + 1);
    const rerun = runCli(["--config", config, "run"], { input: `${next}\n` });
    expect(rerun.code, rerun.stderr).toBe(0);
    const decisions = rerun.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.component === "decision")
      .map((d) => `${d.credential}:${d.result}:${d.reason}`);
    expect(decisions).toEqual(["42:denied:anti_passback"]);
  });
});
