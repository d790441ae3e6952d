import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { phoneToken, staffToken } from "../app/testing/mqtt-gate-fixture.js";
import { runCli, sharedSpec } from "./run-cli.js";

function gateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "passgate-run-"));
  writeFileSync(
    join(dir, "passgate.yaml"),
    `# a gate for the end-to-end test
site: demo-campus
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
    - name: staff
      roles: [staff]
    - name: students
      roles: [student]
`,
  );
  return dir;
}

describe("passgate run, end to end", () => {
  it("imports the example allowlist, decides piped scans, journals them and opens the relay only on grants", () => {
    const dir = gateDir();
    const config = ["--config", join(dir, "passgate.yaml")];
    const imported = runCli([...config, "allowlist", "import", join(sharedSpec, "allowlist-example.ndjson")]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain("v7");

    const step = Math.floor(Date.now() / 30_000);
    const staff = staffToken(step);
    const student = phoneToken("1001", step);
    const suspended = phoneToken("1002", step);
    const scans = [staff, staff, student, suspended, "PG1:not a token", `\u001b]0;pwned\u0007${student}`];
    const run = runCli([...config, "run"], { input: `${scans.join("\r\n")}\n` });
    expect(run.code, run.stderr).toBe(0);

    const logLines = run.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const decisions = logLines.filter((l) => l.component === "decision");
    expect(decisions.map((d) => `${d.result}:${d.reason}`)).toEqual([
      "granted:ok",
      "denied:replayed",
      "granted:ok",
      "denied:suspended",
      "denied:malformed",
    ]);
    expect(logLines.filter((l) => l.msg === "relay pulse (log only)")).toHaveLength(2);
    expect(logLines.some((l) => l.msg === "scan input rejected" && l.reason === "control_characters")).toBe(
      true,
    );
    for (const token of [staff, student, suspended]) expect(run.stderr).not.toContain(token.slice(4));

    const tail = runCli([...config, "journal", "tail", "--json"]);
    expect(tail.code, tail.stderr).toBe(0);
    const entries = tail.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.map((e) => [e.seq, e.credential, e.reason])).toEqual([
      [1, "42", "ok"],
      [2, "42", "replayed"],
      [3, "1001", "ok"],
      [4, "1002", "suspended"],
      [5, null, "malformed"],
    ]);
    for (const token of [staff, student]) expect(tail.stdout).not.toContain(token.slice(4));

    const verify = runCli([...config, "journal", "verify"]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/journal OK: 5 entries/);
  });

  it("refuses to start on an invalid config, naming every problem with its path", () => {
    const dir = mkdtempSync(join(tmpdir(), "passgate-run-"));
    const path = join(dir, "bad.yaml");
    writeFileSync(
      path,
      "site: demo-campus\ngate: main-1\ntimezone: Mars/Olympus\ntoken:\n  window: many\nbogus: 1\n",
    );
    const r = runCli(["--config", path, "run"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:3 timezone/);
    expect(r.stderr).toMatch(/bad\.yaml:5 token\.window/);
    expect(r.stderr).toMatch(/bogus/);
  });
});
